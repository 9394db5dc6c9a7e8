"""Life after approval over the JSON API: 临时救助 registered and listed, the township reserve fund (balances,
the ledger, money paid in by the leader, a payment it cannot cover), and 探访 (the month's due list, a visit,
the monthly rate per township). Every answer is checked against /api/v1/openapi.json (tests.webapp.test_api.Api)."""

from datetime import date, datetime

from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.test_api import Api
from tests.workflows.test_temp_assistance import application, decide
from webapp import db, services
from workflows import clock, reserve, visit_cases, visits
from workflows.store import ReserveEntry, VisitTarget, unit_of_work

TOWN = "640104001"
DEC10 = datetime(2026, 12, 10, 9, 0, tzinfo=clock.CHINA_TZ)  # after drive.approved's decision of 8 December


def api_of(client) -> Api:
    return Api(client, client.get("/api/v1/openapi.json").get_json())


def test_temporary_assistance_is_registered_and_listed(app, client, at_monday):
    api = api_of(client)
    body = application()
    api.check(["components", "schemas", "TempAssistanceApplication"], body)
    api.call("post", "/temp-assistance", "investigator-001", 403, json=body)
    api.call("post", "/temp-assistance", "auditor", 403, json=body)
    wrong = api.call("post", "/temp-assistance", "clerk-001", 422, json=application(amount="0"))["error"]
    assert "amount_requested" in wrong["details"]
    case = api.call("post", "/temp-assistance", "clerk-001", 201, json=body)
    assert (case["process_id"], case["status"], case["household_size"]) == ("temp_assistance", "EMERGENCY_DECISION", 2)
    again = api.call("post", "/temp-assistance", "clerk-001", 409, json=body)["error"]
    assert case["case_no"] in again["message"] and "申请人已有在办的临时救助申请" in again["message"]
    listed = api.call("get", "/temp-assistance", "reviewer-001")["items"]
    assert [c["case_no"] for c in listed] == [case["case_no"]]
    assert api.call("get", "/temp-assistance?status=EMERGENCY_DECISION", "leader-001")["items"] == listed
    assert api.call("get", "/temp-assistance?status=PAID", "leader-001")["items"] == []
    assert api.call("get", "/temp-assistance", "clerk-002")["items"] == []  # another township's
    assert [c["case_no"] for c in api.call("get", "/temp-assistance", "auditor")["items"]] == [case["case_no"]]
    assert api.call("get", "/temp-assistance?township=640104002", "auditor")["items"] == []
    assert "status" in api.call("get", "/temp-assistance?status=GONE", "clerk-001", 422)["error"]["details"]
    assert api.call("get", "/cases", "clerk-001")["items"][0]["case_no"] == case["case_no"]


def test_the_reserve_is_funded_by_the_leader_and_never_overdrawn(app, client, at_monday):
    api = api_of(client)
    assert api.call("get", "/reserve", "leader-001")["items"] == [
        {"township_code": TOWN, "balance": "0.00", "url": f"/api/v1/reserve/{TOWN}"}]
    assert len(api.call("get", "/reserve", "auditor")["items"]) == 15
    api.call("get", "/reserve", "clerk-001", 403)
    deposit = {"kind": "deposit", "amount": "1500", "note": "区财政拨付备用金"}
    api.check(["components", "schemas", "ReserveEntryRequest"], deposit)
    api.call("post", f"/reserve/{TOWN}/entries", "reviewer-001", 403, json=deposit)
    api.call("post", f"/reserve/{TOWN}/entries", "auditor", 403, json=deposit)
    api.call("post", f"/reserve/{TOWN}/entries", "leader-002", 404, json=deposit)  # another township's reserve
    negative = api.call("post", f"/reserve/{TOWN}/entries", "leader-001", 422, json={**deposit, "amount": "-5"})
    assert negative["error"]["details"] == {"amount": "金额应大于 0"}
    odd = api.call("post", f"/reserve/{TOWN}/entries", "leader-001", 422, json={"kind": "payment", "amount": "5"})
    assert set(odd["error"]["details"]) == {"kind"}  # payments are made only by approving a case
    entry = api.call("post", f"/reserve/{TOWN}/entries", "leader-001", 201, json=deposit)
    assert (entry["kind"], entry["amount"], entry["balance_after"], entry["by"]) == (
        "deposit", "1500.00", "1500.00", "凤凰北街街道分管领导")

    case = api.call("post", "/temp-assistance", "clerk-001", 201, json=application())
    (task,) = api.call("get", "/tasks", "leader-001")["items"]
    too_much = decide(amount="2000.00")
    api.check(["components", "schemas", "TempTaskForm_emergency_decide"], too_much)
    refused = api.call("post", f"/tasks/{task['id']}/complete", "leader-001", 422, json=too_much)["error"]
    assert refused["details"]["approved_amount"] == (
        "乡镇临时救助备用金余额不足：余额 1500.00 元，不足支付 2000.00 元。请先补充备用金或调整救助金额")
    paid = api.call("post", f"/tasks/{task['id']}/complete", "leader-001", json=decide(amount="1200.00"))
    assert paid["case"]["status"] == "PAPERWORK" and paid["case"]["amount_total"] == "1200.00"

    ledger = api.call("get", f"/reserve/{TOWN}", "reviewer-001")
    assert ledger["balance"] == "300.00"
    assert [(e["kind"], e["amount"], e["balance_after"], e["case_no"]) for e in ledger["entries"]] == [
        ("payment", "1200.00", "300.00", case["case_no"]), ("deposit", "1500.00", "1500.00", None)]
    assert api.call("get", f"/reserve/{TOWN}", "auditor") == ledger
    api.call("get", f"/reserve/{TOWN}", "reviewer-002", 404)
    api.call("get", f"/reserve/{TOWN}", "clerk-001", 403)
    api.call("get", "/reserve/640104999", "auditor", 404)
    refund = api.call("post", f"/reserve/{TOWN}/entries", "leader-001", 201,
                      json={"kind": "refund", "amount": 200, "note": "追回多付救助金"})
    assert refund["balance_after"] == "500.00"
    with app.app_context(), unit_of_work(db.factory()) as sess:
        assert reserve.check_ledger(sess, TOWN) == []
        assert [e.kind for e in sess.scalars(select(ReserveEntry).order_by(ReserveEntry.id))] == [
            "deposit", "payment", "refund"]


def test_visits_due_recorded_and_rated_over_the_api(app, client, at_monday):
    sub = f.registration()
    sub["members"][1].update(disability_level="1", disability_kind="physical")  # 李建国: 重度残疾
    with app.app_context():
        drive.approved(db.factory(), services.get(), at_monday, sub)
        with clock.frozen(DEC10):  # as the worker's daily pass: targets synced, the month's visits started
            assert visit_cases.schedule_township(db.factory(), TOWN, services.get())["started"] == 2
    api = api_of(client)
    with clock.frozen(DEC10):
        due = api.call("get", "/visits/due", "investigator-001")
        assert due["month"] == "2026-12" and [t["name"] for t in due["items"]] == ["李小明", "李建国"]
        assert {t["category"] for t in due["items"]} == {"severe", "minor"}
        assert {(t["due_on"], t["escalated"]) for t in due["items"]} == {("2026-12-25", False)}
        api.call("get", "/visits/due", "auditor", 403)
        assert api.call("get", "/visits/due", "clerk-002")["items"] == []
        api.call("get", "/visits/due?month=2026-13", "clerk-001", 422)
        target = due["items"][1]  # 李建国
        path = target["visits_url"].removeprefix("/api/v1")
        visit = {"visited_on": "2026-12-11", "method": "home", "notes": "生活情况良好。", "task_id": target["task_id"]}
        api.check(["components", "schemas", "VisitRequest"], visit)
        late = api.call("post", path, "investigator-001", 422, json=visit)["error"]
        assert late["details"] == {"visited_on": "探访日期不能晚于今天"}
        for who, status in (("clerk-001", 403), ("clerk-002", 403), ("auditor", 403)):  # the investigators' lane
            api.call("post", path, who, status, json={**visit, "visited_on": "2026-12-09"})
        api.call("post", "/visits/targets/999/visits", "investigator-001", 404, json=visit)
        api.call("post", path, "investigator-001", 422, json={**visit, "visited_on": "2026-12-09", "colour": "red"})
        done = api.call("post", path, "investigator-001", 201, json={**visit, "visited_on": "2026-12-10"})
        assert (done["target_id"], done["visited_on"], done["case_status"]) == (target["id"], "2026-12-10", "VISITED")
        assert done["staff"] == "凤凰北街街道调查员" and done["case_no"] == target["case_no"]
        again = api.call("post", path, "investigator-001", 409, json={**visit, "visited_on": "2026-12-10"})
        assert "已办结" in again["error"]["message"]  # the same visit posted twice
        assert [t["name"] for t in api.call("get", "/visits/due", "leader-001")["items"]] == ["李小明"]
        further = api.call("post", path, "investigator2-001", 201, json={"visited_on": "2026-12-10", "method": "phone"})
        assert further["case_no"] != done["case_no"]  # a further visit this month: a case of its own

        (own,) = api.call("get", "/visits/rates", "clerk-001")["items"]
        assert own == {"township_code": TOWN, "township_name": "凤凰北街街道", "targets": 2, "visited": 1, "due": 1,
                       "visits": 2, "home": 1, "phone": 1, "rate": "0.5000", "target_rate": "1.00", "met": False}
        county = api.call("get", "/visits/rates?month=2026-12", "auditor")["items"]
        assert len(county) == 15 and county[0] == own and all(r["targets"] == 0 for r in county[1:])
        assert api.call("get", "/visits/rates?month=2026-11", "auditor")["items"][0]["targets"] == 0
        api.call("get", "/visits/rates?month=12-2026", "auditor", 422)
    with app.app_context(), unit_of_work(db.factory()) as sess:
        rate = visits.monthly_rate(sess, TOWN, "2026-12")
        assert (rate["targets"], rate["visited"], str(rate["rate"])) == (2, 1, "0.5000")
        assert sess.get(VisitTarget, target["id"]).since == date(2026, 12, 10)


LEFT_BEHIND = f.id_number(date(2015, 3, 4), 9)


def test_a_key_person_is_registered_and_ended_by_hand_over_the_api(app, client, at_monday):
    api = api_of(client)
    body = {"id_no": LEFT_BEHIND, "name": "小芳", "category": "left_behind", "note": "村委会报告：父母外出务工"}
    with clock.frozen(DEC10):
        api.check(["components", "schemas", "VisitTargetRequest"], body)
        for who in ("auditor", "admin"):
            api.call("post", "/visits/targets", who, 403, json=body)
        refused = api.call("post", "/visits/targets", "clerk-001", 422, json={**body, "note": ""})["error"]
        assert set(refused["details"]) == {"note"}
        api.call("post", "/visits/targets", "clerk-001", 422, json={**body, "colour": "red"})
        made = api.call("post", "/visits/targets", "clerk-001", 201, json=body)
        assert (made["source"], made["since"], made["until"], made["end_reason"]) == (
            "manual", "2026-12-10", None, None)
        assert [t["task_id"] is not None for t in api.call("get", "/visits/due", "investigator-001")["items"]] == [True]
        twice = api.call("post", "/visits/targets", "reviewer-001", 422, json=body)["error"]
        assert twice["details"] == {"id_no": "该人员已是本乡镇（街道）的探访对象"}
        end = f"/visits/targets/{made['id']}/end"
        stop = {"last_day": "2026-12-10", "reason": "随父母迁往外地"}
        api.check(["components", "schemas", "VisitTargetEndRequest"], stop)
        api.call("post", end, "clerk-002", 403, json=stop)  # another township's staff
        api.call("post", end, "auditor", 403, json=stop)
        api.call("post", "/visits/targets/999/end", "clerk-001", 404, json=stop)
        api.call("post", end, "leader-001", 422, json={**stop, "last_day": "2026-12-01"})
        api.call("post", end, "leader-001", 422, json={**stop, "last_day": "10/12/2026"})
        ended = api.call("post", end, "leader-001", 200, json=stop)
        assert (ended["until"], ended["end_reason"]) == ("2026-12-10", "随父母迁往外地")
        assert ended["ended_at"].startswith("2026-12-10T01:00:00")  # 09:00 China time, in UTC
    with app.app_context(), unit_of_work(db.factory()) as sess:
        row = sess.get(VisitTarget, made["id"])
        assert drive.user(sess, "leader-001").id == row.ended_by_id
