"""Input that used to crash the app (found by fuzzing the API, tests/webapp/test_api_schemathesis.py).

Each was a 500 on PostgreSQL, some on SQLite too: a NUL character reaching a query, an id in a URL
beyond the database's INTEGER, a page number beyond what OFFSET takes, an objection or extension
sent to a case whose procedure has no such step, and a visit-rate month before any target was set.
"""

from datetime import date

import pytest

from tests import factories as f
from tests.drive import user
from tests.webapp.web import login
from webapp import db, services
from workflows import clock, demo, temp_assistance
from workflows.store import unit_of_work


def _token(client, username: str) -> dict:
    resp = client.post("/api/v1/tokens", json={"username": username, "password": demo.DEMO_PASSWORD})
    assert resp.status_code == 201
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def _error(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    return resp.get_json()["error"]


@pytest.mark.parametrize(("who", "path"), [
    ("clerk-001", "/api/v1/benefits/2147483648"), ("clerk-001", "/api/v1/benefits/99999999999999999999"),
    ("auditor", "/api/v1/spot-checks/2147483648"), ("clerk-001", "/api/v1/cases/640104001-2026-00001%00"),
    ("clerk-001", "/api/v1/tasks/%00"),
])
def test_ids_the_database_cannot_hold_name_nothing(client, who, path):
    assert _error(client.get(path, headers=_token(client, who)), 404)["code"] == "not_found"


@pytest.mark.parametrize(("who", "query", "field"), [
    ("clerk-001", "/api/v1/cases?page=2147483648", "page"), ("clerk-001", "/api/v1/cases?page=99999999999999999999",
                                                              "page"),
    ("clerk-001", "/api/v1/cases?q=%00", "q"), ("clerk-001", "/api/v1/benefits?q=a%00b", "q"),
    ("auditor", "/api/v1/spot-checks?township=%00", "township"), ("clerk-001", "/api/v1/tasks?view=all%00", "view"),
])
def test_bad_query_parameters_are_invalid_data(client, who, query, field):
    error = _error(client.get(query, headers=_token(client, who)), 422)
    assert field in error["details"] and error["message"]


def test_the_largest_page_is_an_empty_page(client):
    body = client.get("/api/v1/cases?page=2147483647", headers=_token(client, "clerk-001")).get_json()
    assert body["items"] == [] and body["page"] == 2147483647


@pytest.mark.parametrize("body", [
    {"username": "clerk-001\x00", "password": "x"}, {"username": "clerk-001", "password": "\x00"},
    {"username": "clerk-001", "password": "x", "\x00": 1},
])
def test_a_nul_in_a_json_body_is_invalid_data(client, body):
    error = _error(client.post("/api/v1/tokens", json=body), 422)
    assert error["message"].startswith("提交的内容不能包含空字符")


def test_a_nul_in_a_form_field_list_or_key_is_named(client):
    headers = _token(client, "clerk-001")
    sub = f.registration()
    sub["members"][1]["name"] = "李\x00建国"
    error = _error(client.post("/api/v1/cases", json=sub, headers=headers), 422)
    assert set(error["details"]) == {"members.1.name"}


def test_web_pages_take_the_same_inputs_without_crashing(client):
    login(client, "clerk-001")
    assert client.get("/cases/?page=99999999999999999999").status_code == 200
    assert client.get("/tasks/?page=99999999999999999999").status_code == 200
    assert client.get("/benefits/?page=99999999999999999999").status_code == 200
    assert client.get("/benefits/2147483648").status_code == 404
    assert client.get("/cases/?q=%00").status_code == 422
    assert client.get("/cases/%00").status_code == 404


def test_an_objection_to_a_case_whose_procedure_takes_none_is_a_conflict(app, client):
    with app.app_context(), clock.frozen(f.MONDAY), unit_of_work(db.factory()) as sess:
        case_no = temp_assistance.start(sess, user(sess, "clerk-001"), {
            "assistance_type": "emergency", "cause": "fire", "event_date": "2026-11-28",
            "cause_detail": "住房失火。", "amount_requested": "2000.00", "applicant_phone": "13900002222",
            "address": "兴庆区凤凰北街幸福小区5号楼101", "bank_account_last4": "1234",
            "members": [{"name": "王桂芳", "id_no": f.id_number(date(1975, 4, 2), 2), "relation": "self"}],
        }, services.get()).case.case_no
    headers = _token(client, "clerk-001")
    objection = client.post(f"/api/v1/cases/{case_no}/objections", json=f.objection(), headers=headers)
    assert _error(objection, 409)["message"] == "该案件的办理流程没有此项操作"
    leader = _token(client, "leader-001")
    extension = client.post(f"/api/v1/cases/{case_no}/extension", json={"reason": "材料需补充"}, headers=leader)
    assert _error(extension, 409)["code"] == "conflict"


@pytest.mark.parametrize("month", ["1801-11", "0000-01", "٢٠٢٦-01", "2026-01\n"])
def test_a_visit_rate_month_before_any_target_or_not_a_date_is_invalid(client, month):
    resp = client.get("/api/v1/visits/rates", query_string={"month": month}, headers=_token(client, "auditor"))
    assert "month" in _error(resp, 422)["details"]
