"""Every registered route, as every kind of user: the expected status, enforced on the server.

A new route fails this test until its expectations are written down here.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.drive import approved, start
from tests.drive import user as drive_user
from tests.webapp.web import csrf, login
from webapp import db, services
from workflows import clock, roster, spot_checks, visits
from workflows.store import Benefit, Document, HumanTask

USERS = {"anon": None, "clerk": "clerk-001", "investigator": "investigator-001", "reviewer": "reviewer-001",
         "leader": "leader-001", "other": "clerk-002", "auditor": "auditor", "admin": "admin"}
ALL = dict.fromkeys(USERS, 200)
LOGIN = {"anon": 302}
WORKERS = {**dict.fromkeys(USERS, 200), "anon": 302, "admin": 403}  # the auditor works the district checks
CASE = {**ALL, **LOGIN, "other": 404}
CLERK_TASK = {"anon": 302, "clerk": 200, "investigator": 403, "reviewer": 403, "leader": 403, "other": 404,
              "auditor": 403, "admin": 403}
AUDIT = {**dict.fromkeys(USERS, 403), "anon": 302, "auditor": 200, "admin": 200}
WINDOW = {**dict.fromkeys(USERS, 403), "anon": 302, "clerk": 200, "other": 200}
PUBLISHERS = {**dict.fromkeys(USERS, 403), "anon": 302, "reviewer": 200, "leader": 200}
LEADER = {**dict.fromkeys(USERS, 403), "anon": 302, "leader": 200}
# Messages to a case (a form posted empty: a permitted sender gets 422, so nothing changes); the
# county roles see the case but do not act on it, which the engine reports as not found.
OBJECTION = {"anon": 302, "clerk": 422, "investigator": 403, "reviewer": 422, "leader": 403, "other": 404,
             "auditor": 403, "admin": 403}
EXTENSION = {"anon": 302, "clerk": 403, "investigator": 403, "reviewer": 403, "leader": 422, "other": 404,
             "auditor": 403, "admin": 403}
# 在保家庭: a review is started by the township's clerk (posted empty: 422); the county roles see the
# household but start nothing (403). 发放花名册: the township's leader and reviewer issue (posted
# without the confirmation: 422); county auditors and admins only read. Another township's roster
# is not found (404 for its reviewer, tested in test_life_after_approval_web); clerk-002 is turned
# away by role first.
START_REVIEW = {**OBJECTION, "reviewer": 403}
ROSTER_VIEW = {**dict.fromkeys(USERS, 403), "anon": 302, "reviewer": 200, "leader": 200, "auditor": 200,
               "admin": 200}
ROSTER_ISSUE = {**dict.fromkeys(USERS, 403), "anon": 302, "reviewer": 422, "leader": 422}
# Retrying a case with no failed 核对, or publishing with no case waiting: 409 → flashed, redirected.
RETRY = {"anon": 302, "clerk": 302, "investigator": 302, "reviewer": 302, "leader": 302, "other": 404,
         "auditor": 403, "admin": 302}
# 区级抽查: county auditors draw (posted empty: 422; over the API a reversed period: 422); they and
# administrators read the draws; township staff are turned away (403).
DRAW = {**dict.fromkeys(USERS, 403), "anon": 302, "auditor": 422}
# 临时救助: clerks register at their window. 备用金: the township's leader and reviewer and the county
# roles read the ledger; only the leader pays in or records a refund (posted empty: 422). 探访: every
# role sees the page (county roles: the rates of every township); the township's staff record a visit
# (posted empty: 422) and refresh the targets — another township's staff are refused (403).
RESERVE_VIEW = ROSTER_VIEW
RESERVE_MOVE = {**dict.fromkeys(USERS, 403), "anon": 302, "leader": 422}
VISIT_RECORD = {"anon": 302, "clerk": 422, "investigator": 422, "reviewer": 422, "leader": 422, "other": 403,
                "auditor": 403, "admin": 403}
VISIT_SYNC = {**dict.fromkeys(USERS, 302), "auditor": 403, "admin": 403}
REVERSED = {"township": "640104001", "decided_from": "2026-12-08", "decided_to": "2026-12-01"}

# endpoint → (method, path template, expected status per user); {case}, {task}, {doc}, {code} are filled in.
WEB = {
    "home.index": ("GET", "/", {**dict.fromkeys(USERS, 302)}),
    "auth.login": ("GET", "/login", ALL),
    "cases.index": ("GET", "/cases/", {**ALL, **LOGIN}),
    "cases.detail": ("GET", "/cases/{case}", CASE),
    "cases.document": ("GET", "/cases/{case}/documents/{doc}.pdf", CASE),
    "cases.verify": ("GET", "/cases/{case}/verify", AUDIT),
    "cases.diagram": ("GET", "/cases/{case}/diagram", AUDIT),
    "tasks.queue": ("GET", "/tasks/", WORKERS),
    "tasks.escalated": ("GET", "/tasks/escalated", LEADER),
    "tasks.show": ("GET", "/tasks/{task}", CLERK_TASK),
    "notices.index": ("GET", "/notices/", PUBLISHERS),
    "notices.document": ("GET", "/notices/{batch}.pdf", CASE),
    "benefits.index": ("GET", "/benefits/", {**ALL, **LOGIN}),
    "benefits.detail": ("GET", "/benefits/{benefit}", CASE),
    "benefits.due": ("GET", "/benefits/due", WINDOW),
    "rosters.index": ("GET", "/rosters/", ROSTER_VIEW),
    "rosters.show": ("GET", "/rosters/{roster}", ROSTER_VIEW),
    "rosters.workbook": ("GET", "/rosters/{roster}.xlsx", ROSTER_VIEW),
    "rosters.document": ("GET", "/rosters/{roster}.pdf", ROSTER_VIEW),
    "spot_checks.index": ("GET", "/spot-checks/", AUDIT),
    "spot_checks.show": ("GET", "/spot-checks/{draw}", AUDIT),
    "window.index": ("GET", "/window/", WINDOW),
    "window.new": ("GET", "/window/new", WINDOW),
    "window.new_temp_assistance": ("GET", "/window/temp-assistance", WINDOW),
    "reserve.index": ("GET", "/reserve/", RESERVE_VIEW),
    "visits.index": ("GET", "/visits/", {**ALL, **LOGIN}),
    "public.verify": ("GET", "/verify/{code}", ALL),
    "static": ("GET", "/static/style.css", ALL),
    "health.healthz": ("GET", "/healthz", ALL),
    "health.readyz": ("GET", "/readyz", ALL),
}
# POSTs are checked only for who is turned away (a permitted user would change the case).
WEB_POST = {
    "tasks.complete": ("/tasks/{task}", {k: v for k, v in CLERK_TASK.items() if k != "clerk"}),
    "tasks.claim": ("/tasks/{task}/claim", {k: v for k, v in CLERK_TASK.items() if k != "clerk"}),
    "tasks.unclaim": ("/tasks/{task}/unclaim", {k: v for k, v in CLERK_TASK.items() if k != "clerk"}),
    "window.new": ("/window/new", {k: v for k, v in WINDOW.items() if k not in ("clerk", "other")}),
    "window.new_temp_assistance": ("/window/temp-assistance",
                                   {k: v for k, v in WINDOW.items() if k not in ("clerk", "other")}),
    "reserve.move": ("/reserve/deposit", RESERVE_MOVE),
    "visits.record": ("/visits/{target}", VISIT_RECORD),
    "visits.sync": ("/visits/sync", VISIT_SYNC),
    "cases.record_objection": ("/cases/{case}/objections", OBJECTION),
    "cases.extend_deadline": ("/cases/{case}/extension", EXTENSION),
    "cases.retry_calls": ("/cases/{case}/retry", RETRY),
    "notices.publish": ("/notices/publish", {**PUBLISHERS, "reviewer": 302, "leader": 302}),
    "benefits.start_review": ("/benefits/{benefit}/reviews", START_REVIEW),
    "rosters.issue": ("/rosters/", ROSTER_ISSUE),
    "spot_checks.draw": ("/spot-checks/", DRAW),
}
API = {
    "api.openapi": ("GET", "/api/v1/openapi.json", ALL),
    "api.list_cases": ("GET", "/api/v1/cases", {**ALL, "anon": 401}),
    "api.get_case": ("GET", "/api/v1/cases/{case}", {**CASE, "anon": 401}),
    "api.case_history": ("GET", "/api/v1/cases/{case}/history", {**CASE, "anon": 401}),
    "api.get_document": ("GET", "/api/v1/cases/{case}/documents/{doc}", {**CASE, "anon": 401}),
    "api.replay_case": ("GET", "/api/v1/cases/{case}/replay", {**AUDIT, "anon": 401}),
    "api.list_tasks": ("GET", "/api/v1/tasks", {**WORKERS, "anon": 401}),
    "api.get_task": ("GET", "/api/v1/tasks/{task}", {**CLERK_TASK, "anon": 401}),
    "api.list_benefits": ("GET", "/api/v1/benefits", {**ALL, "anon": 401}),
    "api.get_benefit": ("GET", "/api/v1/benefits/{benefit}", {**CASE, "anon": 401}),
    # county roles name the township they want (without it: 422)
    "api.list_rosters": ("GET", "/api/v1/rosters?township=640104001", {**ROSTER_VIEW, "anon": 401}),
    "api.get_roster": ("GET", "/api/v1/rosters/{roster}", {**ROSTER_VIEW, "anon": 401}),
    "api.roster_workbook": ("GET", "/api/v1/rosters/{roster}/xlsx", {**ROSTER_VIEW, "anon": 401}),
    "api.roster_pdf": ("GET", "/api/v1/rosters/{roster}/pdf", {**ROSTER_VIEW, "anon": 401}),
    "api.list_spot_checks": ("GET", "/api/v1/spot-checks", {**AUDIT, "anon": 401}),
    "api.get_spot_check": ("GET", "/api/v1/spot-checks/{draw}", {**AUDIT, "anon": 401}),
}
API_POST = {
    "api.claim_task": "/api/v1/tasks/{task}/claim",
    "api.unclaim_task": "/api/v1/tasks/{task}/unclaim",
    "api.complete_task": "/api/v1/tasks/{task}/complete",
}
API_POST_DENIED = {k: v for k, v in {**CLERK_TASK, "anon": 401}.items() if k != "clerk"}
API_MESSAGES = {
    "api.record_objection": ("/api/v1/cases/{case}/objections", {**OBJECTION, "anon": 401}),
    "api.extend_deadline": ("/api/v1/cases/{case}/extension", {**EXTENSION, "anon": 401}),
    "api.start_review": ("/api/v1/benefits/{benefit}/reviews", {**START_REVIEW, "anon": 401}),
    "api.issue_roster": ("/api/v1/rosters", {**ROSTER_ISSUE, "anon": 401}),
}
API_DRAW = {**DRAW, "anon": 401}  # api.create_spot_check, posted REVERSED
CREATE_DENIED = {"anon": 401, "investigator": 403, "reviewer": 403, "leader": 403, "auditor": 403, "admin": 403}
UNCHECKED = {"auth.logout", "api.create_token", "api.create_case"}  # covered elsewhere / below


@pytest.fixture
def world(app, at_monday):
    """An approved case (its approval notice and 公示 list issued), and an open acceptance task on a second case;
    a payment roster and a spot-check draw of the approved case's decision; a 探访 target registered by hand."""
    with app.app_context():
        factory, svc = db.factory(), services.get()
        case_no = approved(factory, svc, at_monday)
        other = [f.member("赵雯婷", date(1990, 2, 3), seq=8, income="100")]
        start(factory, svc, f.registration(other))
        sess = db.session()
        doc = sess.scalars(select(Document).where(Document.kind == "approval_notice")).one()
        batch = sess.scalars(select(Document).where(Document.kind == "public_notice_list")).one()
        task = sess.scalars(select(HumanTask)).one()
        benefit = sess.scalars(select(Benefit)).one()
        with clock.frozen(at_monday + timedelta(days=8)):  # January's roster, issued in December
            issued = roster.issue(sess, drive_user(sess, "reviewer-001"), "640104001", "2027-01", svc)
        with clock.frozen(at_monday + timedelta(days=9)):  # the day after the decision
            decided = clock.today() - timedelta(days=1)
            drawn = spot_checks.draw(sess, drive_user(sess, "auditor"), "640104001", decided, decided, svc)
        target = visits.register_target(sess, drive_user(sess, "clerk-001"), "640104001",
                                        f.id_number(date(1940, 1, 1), 5), "马老汉", "elderly")
        sess.commit()
        return {"case": case_no, "doc": doc.number, "code": doc.verify_code, "task": task.id, "batch": batch.number,
                "benefit": benefit.id, "roster": issued.pdf_number, "draw": drawn.id,
                "target": target.id}


def _code(resp) -> int:
    resp.close()  # static files are streamed: close them
    return resp.status_code


def _as(client, who):
    if USERS[who] is None:
        client.post("/logout", data={"csrf_token": csrf(client)})
    else:
        login(client, USERS[who])


def _token(client, who) -> dict:
    if USERS[who] is None:
        return {}
    resp = client.post("/api/v1/tokens", json={"username": USERS[who], "password": "dibao-demo-2026"})
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_every_route_is_listed_here(app):
    listed = set(WEB) | set(WEB_POST) | set(API) | set(API_POST) | set(API_MESSAGES) | UNCHECKED
    listed |= {"api.create_spot_check"}  # posted with a body of its own (REVERSED)
    assert {rule.endpoint for rule in app.url_map.iter_rules()} <= listed


def test_web_routes_by_role(app, client, world):
    seen = {}
    for who in USERS:
        _as(client, who)
        for endpoint, (_, path, expected) in WEB.items():
            seen[(endpoint, who)] = (_code(client.get(path.format(**world))), expected[who])
        for endpoint, (path, expected) in WEB_POST.items():
            if who in expected:
                token = csrf(client, "/login")
                seen[(endpoint + " POST", who)] = (client.post(path.format(**world), data={"csrf_token": token})
                                                   .status_code, expected[who])
    assert {k: v for k, v in seen.items() if v[0] != v[1]} == {}


def test_api_routes_by_role(app, client, world):
    seen = {}
    for who in USERS:
        headers = _token(client, who)
        for endpoint, (_, path, expected) in API.items():
            seen[(endpoint, who)] = (client.get(path.format(**world), headers=headers).status_code, expected[who])
        if who in API_POST_DENIED:
            for endpoint, path in API_POST.items():
                status = client.post(path.format(**world), json={}, headers=headers).status_code
                seen[(endpoint, who)] = (status, API_POST_DENIED[who])
        for endpoint, (path, expected) in API_MESSAGES.items():
            status = client.post(path.format(**world), json={}, headers=headers).status_code
            seen[(endpoint, who)] = (status, expected[who])
        status = client.post("/api/v1/spot-checks", json=REVERSED, headers=headers).status_code
        seen[("api.create_spot_check", who)] = (status, API_DRAW[who])
        if who in CREATE_DENIED:
            status = client.post("/api/v1/cases", json=f.registration(), headers=headers).status_code
            seen[("api.create_case", who)] = (status, CREATE_DENIED[who])
    assert {k: v for k, v in seen.items() if v[0] != v[1]} == {}
