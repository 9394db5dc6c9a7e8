"""The registration page's help while typing (issue 9): the duplicate lookup at /window/persons/<id_no>
(scope, refusals, the access log), the 增发 ages in force passed to the page, and the draft's end."""

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.drive import start
from tests.webapp.web import login, post_form
from webapp import db, services
from workflows import clock
from workflows.store import AccessLog, Case, Setting, unit_of_work

CONFIG = re.compile(r'<script type="application/json" id="intake-config">(.*?)</script>', re.S)
OUTSIDER = f.id_number(date(1955, 1, 2), 11)  # in no case


@pytest.fixture
def registered(app, at_monday):
    """A case of 640104001 (the factory's household); its number and its applicant's ID number."""
    with app.app_context():
        sub = f.registration()
        case_no = start(db.factory(), services.get(), sub)
        return {"case_no": case_no, "id_no": sub["members"][0]["id_no"], "child": sub["members"][2]["id_no"]}


def _lookups(app) -> list[tuple]:
    with app.app_context():
        rows = db.session().execute(
            select(AccessLog.username, AccessLog.target, Case.case_no)
            .outerjoin(Case, Case.id == AccessLog.case_id)
            .where(AccessLog.action == "person_looked_up").order_by(AccessLog.id)).all()
        return [tuple(r) for r in rows]


def test_own_township_is_told_the_case_number_and_the_lookup_is_logged(app, client, registered):
    login(client, "clerk-001")
    resp = client.get(f"/window/persons/{registered['id_no']}")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["held"] is True and body["case_no"] == registered["case_no"]
    assert registered["case_no"] in body["message"]
    assert _lookups(app) == [("clerk-001", registered["id_no"], registered["case_no"])]


def test_another_township_learns_only_that_a_case_exists(app, client, registered):
    login(client, "clerk-002")
    resp = client.get(f"/window/persons/{registered['child'].lower()}")  # a lower-case x is the same number
    assert resp.status_code == 200
    assert resp.get_json() == {"held": True, "message": "已在其他乡镇（街道）的案件中"}
    text = resp.get_data(as_text=True)
    assert registered["case_no"] not in text and "张秀兰" not in text
    assert _lookups(app) == [("clerk-002", registered["child"], None)]  # not tied to a case it may not see


def test_a_person_in_no_case_is_not_held_and_the_question_is_still_logged(app, client, registered):
    login(client, "clerk-001")
    resp = client.get(f"/window/persons/{OUTSIDER}")
    assert (resp.status_code, resp.get_json()) == (200, {"held": False})
    assert _lookups(app) == [("clerk-001", OUTSIDER, None)]


@pytest.mark.parametrize(("number", "message"), [
    (OUTSIDER[:-1] + ("0" if OUTSIDER[-1] != "0" else "1"), "身份证号码校验位不正确，请核对后重新输入"),
    ("64010419550102011", "身份证号码应为18位：前17位为数字，最后一位为数字或X"),
    (f.id_number(date(2027, 1, 1), 3), "身份证号码中的出生日期晚于今天，请核对后重新输入"),
])
def test_a_number_that_cannot_be_right_is_not_found_and_not_logged(app, client, registered, number, message):
    login(client, "clerk-001")
    resp = client.get(f"/window/persons/{number}")
    assert resp.status_code == 404
    assert resp.get_json()["message"] == message
    assert _lookups(app) == []


@pytest.mark.parametrize(("who", "status"), [("investigator-001", 403), ("reviewer-001", 403), ("auditor", 403),
                                             ("admin", 403), (None, 302)])
def test_only_clerks_may_ask(app, client, registered, who, status):
    if who:
        login(client, who)
    assert client.get(f"/window/persons/{registered['id_no']}").status_code == status
    assert _lookups(app) == []


def test_the_page_gets_the_ages_in_force_in_the_clerks_township(app, client, at_monday):
    with app.app_context(), unit_of_work(db.factory()) as sess:  # 640104001 raises the elderly age from today
        sess.add(Setting(key="dibao.uplift.elderly_age", area_code="640104001", effective_from=clock.today(),
                         value="65", source="test"))
        sess.add(Setting(key="dibao.uplift.minor_age", area_code="640104001",
                         effective_from=clock.today() + timedelta(days=1), value="16", source="test: not yet"))

    def config(who: str, path: str = "/window/new") -> dict:
        login(client, who)
        return json.loads(CONFIG.search(client.get(path).get_data(as_text=True)).group(1))

    own = config("clerk-001")
    assert own["ages"] == {"elderly_age": 65, "minor_age": 18}
    assert own["today"] == "2026-11-30" and own["persons_url"] == "/window/persons/"
    assert own["draft_key"] == "dibao-draft:clerk-001:dibao_application/start"
    assert own["texts"]["problems"]["checksum"] == "身份证号码校验位不正确，请核对后重新输入"
    assert config("clerk-002")["ages"] == {"elderly_age": 60, "minor_age": 18}
    temp = config("clerk-001", "/window/temp-assistance")  # no 增发 and no dibao duplicates there
    assert "ages" not in temp and "persons_url" not in temp


def test_a_registered_form_names_its_draft_for_the_browser_to_drop(app, client, at_monday):
    login(client, "clerk-001")
    resp = post_form(client, "/window/new", f.registration())
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert '<span hidden class="draft-done" data-key="dibao-draft:clerk-001:dibao_application/start">' in page
    refused = post_form(client, "/window/new", f.registration())  # the same people again: refused as before
    assert refused.status_code == 422
    assert "不能重复申请" in refused.get_data(as_text=True)
    assert 'class="draft-done"' not in refused.get_data(as_text=True)
