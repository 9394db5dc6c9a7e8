"""Every registered route, as every kind of user: the expected status, enforced on the server.

A new route fails this test until its expectations are written down here.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests import scans
from tests.drive import approved, roster, start
from tests.drive import user as drive_user
from tests.webapp.web import csrf, login
from webapp import db, services, worker
from workflows import anchors, attachments, clock, jobs, relatives, spot_checks, visits
from workflows.store import Benefit, Case, Document, HumanTask, PaymentRoster, unit_of_work

USERS = {"anon": None, "clerk": "clerk-001", "investigator": "investigator-001", "reviewer": "reviewer-001",
         "leader": "leader-001", "other": "clerk-002", "auditor": "auditor", "admin": "admin"}
ALL = dict.fromkeys(USERS, 200)
LOGIN = {"anon": 302}
WORKERS = {**dict.fromkeys(USERS, 200), "anon": 302, "admin": 403}  # the auditor works the district checks
CASE = {**ALL, **LOGIN, "other": 404}
CLERK_TASK = {"anon": 302, "clerk": 200, "investigator": 403, "reviewer": 403, "leader": 403, "other": 404,
              "auditor": 403, "admin": 403}
AUDIT = {**dict.fromkeys(USERS, 403), "anon": 302, "auditor": 200, "admin": 200}
NOT_AUDIT = {k: v for k, v in AUDIT.items() if k not in ("auditor", "admin")}
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
# household but start nothing (403). 发放花名册: the township's reviewer draws a month's roster up
# (posted without the confirmation: 422) and its leader approves it from the task queue; both read the
# rosters, county auditors and admins only read. Another township's roster is not found (404 for its
# reviewer, tested in test_life_after_approval_web); clerk-002 is turned away by role first.
START_REVIEW = {**OBJECTION, "reviewer": 403}
ROSTER_VIEW = {**dict.fromkeys(USERS, 403), "anon": 302, "reviewer": 200, "leader": 200, "auditor": 200,
               "admin": 200}
ROSTER_START = {**dict.fromkeys(USERS, 403), "anon": 302, "reviewer": 422}
# Retrying a case with no failed 核对: 409 → flashed, redirected. Publishing a 公示 batch posted without
# the publisher's confirmation: 422. A bulk claim posted with no task ticked: flashed, back to the queue.
BULK = {**dict.fromkeys(USERS, 302), "admin": 403}
RETRY = {"anon": 302, "clerk": 302, "investigator": 302, "reviewer": 302, "leader": 302, "other": 404,
         "auditor": 403, "admin": 302}
# 区级抽查: county auditors draw (posted empty: 422; over the API a reversed period: 422); they and
# administrators read the draws; township staff are turned away (403).
DRAW = {**dict.fromkeys(USERS, 403), "anon": 302, "auditor": 422}
# 临时救助: clerks register at their window. 备用金: the township's leader and reviewer and the county
# roles read the ledger; only the leader pays in or records a refund (posted empty: 422). 探访: every
# role sees the page (county roles: the rates of every township); the township's investigators record a
# visit (posted empty: 422; it completes the 探访 task of their lane, so other roles get 403) and the
# township's staff refresh the targets — another township's staff are refused (403).
RESERVE_VIEW = ROSTER_VIEW
RESERVE_MOVE = {**dict.fromkeys(USERS, 403), "anon": 302, "leader": 422}
VISIT_STAFF = {"anon": 302, "clerk": 422, "investigator": 422, "reviewer": 422, "leader": 422, "other": 403,
               "auditor": 403, "admin": 403}
VISIT_SYNC = {**dict.fromkeys(USERS, 302), "auditor": 403, "admin": 403}
# 探访对象 by hand: the township's staff (their own township's page; posted empty: 422; ending another
# township's target: 403); the monthly visit-rate report (Excel, PDF): the township's leader and reviewer
# and the county roles. Over the API: 临时救助 (register: clerks; list: every case viewer), 备用金 (like
# the page; another township's reserve: 404), 探访 (due list: township staff; rates: staff and county).
VISIT_TARGETS = {**dict.fromkeys(USERS, 200), "anon": 302, "auditor": 403, "admin": 403}
VISIT_TARGET_ADD = {k: 422 if v == 200 else v for k, v in VISIT_TARGETS.items()}
VISIT_TARGET_END = {**VISIT_STAFF}
VISIT_RECORD = {**VISIT_STAFF, "clerk": 403, "reviewer": 403, "leader": 403}
# Over the API a key person is registered in the user's own township (clerk-002: its own, posted empty: 422).
API_VISIT_TARGET_ADD = {**VISIT_STAFF, "anon": 401, "other": 422}
VISIT_REPORT = ROSTER_VIEW
# 统计看板 (page, Excel, 督导通报 PDF): the township's leader and reviewer, and the county roles (the district).
DASHBOARD = ROSTER_VIEW
TEMP_CREATE = {"anon": 401, "clerk": 422, "investigator": 403, "reviewer": 403, "leader": 403, "other": 422,
               "auditor": 403, "admin": 403}
API_RESERVE_VIEW = {**ROSTER_VIEW, "anon": 401}
API_RESERVE_MOVE = {**dict.fromkeys(USERS, 403), "anon": 401, "leader": 422, "other": 404}
API_VISITS_DUE = {**dict.fromkeys(USERS, 200), "anon": 401, "auditor": 403, "admin": 403}
# 材料扫描件: the township's staff attach to an open case (posted without a file: 422); county roles only read.
ATTACH = {**OBJECTION, "investigator": 422, "leader": 422}
REVERSED = {"township": "640104001", "decided_from": "2026-12-08", "decided_to": "2026-12-01"}
# 流程版本: administrators only. Loading posted without files: 422; migrating to the version every case is on
# already moves nothing: redirected back.
ADMIN = {**dict.fromkeys(USERS, 403), "anon": 302, "admin": 200}
# 近亲属备案: everybody keeps their own register ({staff} is clerk-001's; posted empty: 422); administrators
# keep anybody's and county auditors read anybody's; other staff are turned away (403).
RELATIVES_OF_CLERK = {**dict.fromkeys(USERS, 403), "anon": 302, "clerk": 200, "auditor": 200, "admin": 200}
RELATIVES_KEEP = {**dict.fromkeys(USERS, 403), "anon": 302, "clerk": 422, "admin": 422}

# endpoint → (method, path template, expected status per user); {case}, {task}, {doc}, {code} are filled in.
# 后台任务: the township's reviewer and leader and the county roles ask for jobs (posted empty: 422); each
# person sees only their own (the world's job is the reviewer's: anyone else's request finds nothing, 404).
JOBS = {**dict.fromkeys(USERS, 403), "anon": 302, "reviewer": 200, "leader": 200, "auditor": 200, "admin": 200}
OWN_JOB = {**JOBS, "leader": 404, "auditor": 404, "admin": 404}
WEB = {
    "home.index": ("GET", "/", {**dict.fromkeys(USERS, 302)}),
    "auth.login": ("GET", "/login", ALL),
    "cases.index": ("GET", "/cases/", {**ALL, **LOGIN}),
    "cases.detail": ("GET", "/cases/{case}", CASE),
    "cases.print_view": ("GET", "/cases/{case}/print", CASE),
    "cases.document": ("GET", "/cases/{case}/documents/{doc}.pdf", CASE),
    "cases.verify": ("GET", "/cases/{case}/verify", AUDIT),
    "cases.diagram": ("GET", "/cases/{case}/diagram", AUDIT),
    "cases.attachment": ("GET", "/cases/{open_case}/attachments/{attachment}", CASE),
    "cases.dossier_zip": ("GET", "/cases/{case}/dossier.zip", AUDIT),
    "audit.anchors_index": ("GET", "/audit/anchors", AUDIT),
    "incidents.index": ("GET", "/incidents/", {**ALL, **LOGIN}),
    "audit.anchor_pdf": ("GET", "/audit/anchors/{anchor}.pdf", AUDIT),
    "audit.anchor_heads": ("GET", "/audit/anchors/{anchor}.json", AUDIT),
    "jobs.index": ("GET", "/jobs/", JOBS),
    "jobs.show": ("GET", "/jobs/{job}", OWN_JOB),
    "jobs.progress": ("GET", "/jobs/{job}.json", OWN_JOB),
    "jobs.result": ("GET", "/jobs/{job}/result", OWN_JOB),
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
    # the registration page's duplicate lookup (the approved case's applicant): clerks of every township
    "window.person": ("GET", "/window/persons/" + f.registration()["members"][0]["id_no"], WINDOW),
    "reserve.index": ("GET", "/reserve/", RESERVE_VIEW),
    "visits.index": ("GET", "/visits/", {**ALL, **LOGIN}),
    "visits.targets": ("GET", "/visits/targets", VISIT_TARGETS),
    "visits.report_workbook": ("GET", "/visits/report.xlsx?month=2026-11", VISIT_REPORT),
    "visits.report_document": ("GET", "/visits/report.pdf?month=2026-11", VISIT_REPORT),
    "dashboard.index": ("GET", "/dashboard/", DASHBOARD),
    "dashboard.export": ("GET", "/dashboard/export.xlsx?period=week&week=2026-W49", DASHBOARD),
    "dashboard.report_document": ("GET", "/dashboard/report.pdf?period=month&month=2026-11", DASHBOARD),
    "public.verify": ("GET", "/verify/{code}", ALL),
    "static": ("GET", "/static/style.css", ALL),
    "health.healthz": ("GET", "/healthz", ALL),
    "health.readyz": ("GET", "/readyz", ALL),
    "processes.index": ("GET", "/processes/", ADMIN),
    "processes.show": ("GET", "/processes/{version}", ADMIN),
    "relatives.index": ("GET", "/relatives/", {**ALL, **LOGIN}),
    "relatives.staff": ("GET", "/relatives/staff", AUDIT),
    "relatives.show": ("GET", "/relatives/staff/{staff}", RELATIVES_OF_CLERK),
}
# POSTs are checked only for who is turned away (a permitted user would change the case).
WEB_POST = {
    "tasks.complete": ("/tasks/{task}", {k: v for k, v in CLERK_TASK.items() if k != "clerk"}),
    "tasks.claim": ("/tasks/{task}/claim", {k: v for k, v in CLERK_TASK.items() if k != "clerk"}),
    "tasks.unclaim": ("/tasks/{task}/unclaim", {k: v for k, v in CLERK_TASK.items() if k != "clerk"}),
    "tasks.bulk_action": ("/tasks/bulk", BULK),
    "window.new": ("/window/new", {k: v for k, v in WINDOW.items() if k not in ("clerk", "other")}),
    "window.new_temp_assistance": ("/window/temp-assistance",
                                   {k: v for k, v in WINDOW.items() if k not in ("clerk", "other")}),
    "reserve.move": ("/reserve/deposit", RESERVE_MOVE),
    "visits.record": ("/visits/{target}", VISIT_RECORD),
    "visits.sync": ("/visits/sync", VISIT_SYNC),
    "visits.add_target": ("/visits/targets", VISIT_TARGET_ADD),
    "visits.end_target": ("/visits/targets/{target}/end", VISIT_TARGET_END),
    "cases.record_objection": ("/cases/{case}/objections", OBJECTION),
    "cases.extend_deadline": ("/cases/{case}/extension", EXTENSION),
    "cases.retry_calls": ("/cases/{case}/retry", RETRY),
    "cases.retry_timers": ("/cases/{case}/timers/retry", RETRY),  # nothing due: flashed, redirected
    "cases.upload_attachment": ("/cases/{open_case}/attachments", ATTACH),
    "notices.publish": ("/notices/publish", {**PUBLISHERS, "reviewer": 422, "leader": 422}),  # unconfirmed
    "benefits.start_review": ("/benefits/{benefit}/reviews", START_REVIEW),
    "rosters.start": ("/rosters/", ROSTER_START),
    "spot_checks.draw": ("/spot-checks/", DRAW),
    # anchoring and checking: turned away unless county auditor or administrator (who would make one)
    "audit.make_anchor": ("/audit/anchors", NOT_AUDIT),
    "audit.check_anchors": ("/audit/anchors/check", NOT_AUDIT),
    "jobs.request_job": ("/jobs/", {k: 422 if v == 200 else v for k, v in JOBS.items()}),
    "processes.upload": ("/processes/", {**ADMIN, "admin": 422}),
    "processes.migrate": ("/processes/{version}/migrate", {**ADMIN, "admin": 302}),
    "relatives.add": ("/relatives/staff/{staff}", RELATIVES_KEEP),
    "relatives.set_id_no": ("/relatives/staff/{staff}/id-no", RELATIVES_KEEP),
    "relatives.end": ("/relatives/{relative}/end", RELATIVES_KEEP),
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
    "api.list_temp_assistance": ("GET", "/api/v1/temp-assistance", {**ALL, "anon": 401}),
    "api.list_reserves": ("GET", "/api/v1/reserve", API_RESERVE_VIEW),
    "api.get_reserve": ("GET", "/api/v1/reserve/640104001", {**API_RESERVE_VIEW, "other": 404}),
    "api.visits_due": ("GET", "/api/v1/visits/due", API_VISITS_DUE),
    "api.visit_rates": ("GET", "/api/v1/visits/rates", {**ALL, "anon": 401}),
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
    "api.start_roster": ("/api/v1/rosters", {**ROSTER_START, "anon": 401}),
    "api.create_temp_assistance": ("/api/v1/temp-assistance", TEMP_CREATE),
    "api.move_reserve": ("/api/v1/reserve/640104001/entries", API_RESERVE_MOVE),
    "api.record_visit": ("/api/v1/visits/targets/{target}/visits", {**VISIT_RECORD, "anon": 401}),
    "api.add_visit_target": ("/api/v1/visits/targets", API_VISIT_TARGET_ADD),
    "api.end_visit_target": ("/api/v1/visits/targets/{target}/end", {**VISIT_TARGET_END, "anon": 401}),
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
        open_case = start(factory, svc, f.registration(other))
        with unit_of_work(factory) as sess:  # a scan on the open case (before the anchor: it is in the chain)
            attachment = attachments.attach(sess, drive_user(sess, "clerk-001"), open_case, scans.jpeg(), "身份证.jpg",
                                            "id_cards", svc.store).id
        sess = db.session()
        doc = sess.scalars(select(Document).where(Document.kind == "approval_notice")).one()
        batch = sess.scalars(select(Document).where(Document.kind == "public_notice_list")).one()
        task = sess.scalars(select(HumanTask)).one()
        benefit = sess.scalars(select(Benefit)).one()
        with clock.frozen(at_monday + timedelta(days=8)):  # January's roster, drawn up and approved in December
            roster(factory, svc, "2027-01")
            issued = sess.scalars(select(PaymentRoster)).one()
        with clock.frozen(at_monday + timedelta(days=9)):  # the day after the decision
            decided = clock.today() - timedelta(days=1)
            drawn = spot_checks.draw(sess, drive_user(sess, "auditor"), "640104001", decided, decided, svc)
        target = visits.register_target(sess, drive_user(sess, "clerk-001"), "640104001",
                                        f.id_number(date(1940, 1, 1), 5), "马老汉", "elderly", "孤寡老人，独居")
        clerk = drive_user(sess, "clerk-001")  # a near relative in none of the cases
        relative = relatives.register(sess, clerk, clerk.id, {"id_no": f.id_number(date(1950, 5, 5), 7),
                                                              "name": "李大伯", "relation": "parent_sibling"})
        anchor = anchors.make_anchor(sess)
        job = jobs.request_job(sess, drive_user(sess, "reviewer-001"), "roster_export", {"year": "2027"}).id
        sess.commit()
        worker.run_all_jobs()  # done: its zip is there to download
        return {"anchor": anchor.id, "case": case_no, "doc": doc.number, "code": doc.verify_code, "task": task.id,
                "batch": batch.number,
                "benefit": benefit.id, "roster": issued.pdf_number, "draw": drawn.id,
                "target": target.id, "open_case": open_case, "attachment": attachment,
                "version": sess.get(Case, task.case_id).spec_hash, "staff": clerk.id, "relative": relative.id,
                "job": job}


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
