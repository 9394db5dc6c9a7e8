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
from workflows import clock, reserve, visits
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
        with clock.frozen(DEC10), unit_of_work(db.factory()) as sess:
            visits.sync_targets(sess, TOWN)
    api = api_of(client)
    with clock.frozen(DEC10):
        due = api.call("get", "/visits/due", "investigator-001")
        assert due["month"] == "2026-12" and [t["name"] for t in due["items"]] == ["李小明", "李建国"]
        assert {t["category"] for t in due["items"]} == {"severe", "minor"}
        api.call("get", "/visits/due", "auditor", 403)
        assert api.call("get", "/visits/due", "clerk-002")["items"] == []
        api.call("get", "/visits/due?month=2026-13", "clerk-001", 422)
        target = due["items"][1]  # 李建国
        path = target["visits_url"].removeprefix("/api/v1")
        visit = {"visited_on": "2026-12-11", "method": "home", "notes": "生活情况良好。"}
        api.check(["components", "schemas", "VisitRequest"], visit)
        late = api.call("post", path, "investigator-001", 422, json=visit)["error"]
        assert late["details"] == {"visited_on": "探访日期不能晚于今天"}
        api.call("post", path, "clerk-002", 403, json={**visit, "visited_on": "2026-12-09"})
        api.call("post", path, "auditor", 403, json={**visit, "visited_on": "2026-12-09"})
        api.call("post", "/visits/targets/999/visits", "clerk-001", 404, json=visit)
        done = api.call("post", path, "investigator-001", 201, json={**visit, "visited_on": "2026-12-10"})
        assert (done["target_id"], done["visited_on"]) == (target["id"], "2026-12-10")
        assert done["staff"] == "凤凰北街街道调查员"
        assert [t["name"] for t in api.call("get", "/visits/due", "leader-001")["items"]] == ["李小明"]

        (own,) = api.call("get", "/visits/rates", "clerk-001")["items"]
        assert own == {"township_code": TOWN, "township_name": "凤凰北街街道", "targets": 2, "visited": 1, "due": 1,
                       "visits": 1, "home": 1, "phone": 0, "rate": "0.5000", "target_rate": "1.00", "met": False}
        county = api.call("get", "/visits/rates?month=2026-12", "auditor")["items"]
        assert len(county) == 15 and county[0] == own and all(r["targets"] == 0 for r in county[1:])
        assert api.call("get", "/visits/rates?month=2026-11", "auditor")["items"][0]["targets"] == 0
        api.call("get", "/visits/rates?month=12-2026", "auditor", 422)
    with app.app_context(), unit_of_work(db.factory()) as sess:
        rate = visits.monthly_rate(sess, TOWN, "2026-12")
        assert (rate["targets"], rate["visited"], str(rate["rate"])) == (2, 1, "0.5000")
        assert sess.get(VisitTarget, target["id"]).since == date(2026, 12, 10)
