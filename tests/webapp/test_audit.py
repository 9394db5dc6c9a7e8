"""Replay verification from the auditor's side: the CLI, the API and the case page."""

import json
import re

from sqlalchemy import select

from tests.drive import approved
from tests.webapp.web import login
from webapp import db, services
from workflows import history, store
from workflows.store import AccessLog, Case, CaseEvent

# submitted, accepted, 核对 answered, visit, cosign, review, published, list issued, notice over, decided, notice
STEPS = 11
# What is open after each step (boundary timers and the extension's event subprocess left out).
PATH = ["accept", "economic_check", "investigate", "cosign", "review", "await_notice", "public_notice",
        "public_notice", "leader"]


def _finished_case(app, at_monday) -> str:
    with app.app_context():
        return approved(db.factory(), services.get(), at_monday)


def _token(client, username: str) -> dict:
    resp = client.post("/api/v1/tokens", json={"username": username, "password": "dibao-demo-2026"})
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_audit_verify_passes_then_catches_an_edit(app, at_monday):
    case_no = _finished_case(app, at_monday)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit-verify", "--all"])
    assert ok.exit_code == 0 and "通过 1 件" in ok.output, ok.output
    with app.app_context(), store.unit_of_work(db.factory()) as sess:
        ev = sess.scalars(select(CaseEvent).where(CaseEvent.task_spec == "leader")).one()  # the leader's decision
        ev.data = ev.data.replace("2026年第12次集体研究", "2026年第13次集体研究")
        seq = ev.seq
    bad = runner.invoke(args=["audit-verify", "--case", case_no])
    assert bad.exit_code == 1 and "未通过 1 件" in bad.output and f'"seq": {seq}' in bad.output
    assert runner.invoke(args=["audit-verify"]).exit_code == 1  # a case or --all is required


def test_replay_over_the_api_is_for_auditors(app, client, at_monday):
    case_no = _finished_case(app, at_monday)
    resp = client.get(f"/api/v1/cases/{case_no}/replay", headers=_token(client, "auditor"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["verified"] is True and body["steps_checked"] == STEPS and body["divergence"] is None
    assert client.get(f"/api/v1/cases/{case_no}/replay", headers=_token(client, "leader-001")).status_code == 403


def test_the_auditor_page_shows_the_verdict(app, client, at_monday):
    case_no = _finished_case(app, at_monday)
    login(client, "auditor")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "重放验证" in page
    verdict = client.get(f"/cases/{case_no}/verify").get_data(as_text=True)
    assert "验证通过" in verdict and f"共 {STEPS} 步" in verdict
    login(client, "clerk-001")
    assert client.get(f"/cases/{case_no}/verify").status_code == 403


def test_views_downloads_and_logins_are_logged_for_the_auditor(app, client, at_monday):
    case_no = _finished_case(app, at_monday)
    login(client, "clerk-001")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    link = re.search(r'href="(/cases/[^"]+\.pdf)"', page).group(1)
    assert client.get(link).status_code == 200
    client.post("/api/v1/tokens", json={"username": "clerk-002", "password": "wrong-password"})
    with app.app_context():
        rows = db.session().scalars(select(AccessLog).order_by(AccessLog.id)).all()
        seen = [(r.action, r.username, r.channel) for r in rows]
    assert ("login", "clerk-001", "web") in seen
    assert ("case_viewed", "clerk-001", "web") in seen
    assert ("document_downloaded", "clerk-001", "web") in seen
    assert ("login_failed", "clerk-002", "api") in seen
    login(client, "auditor")
    audit_page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "访问记录" in audit_page and "下载文书" in audit_page
    assert f"<title>{case_no} · " in audit_page and audit_page.count("访问记录") == 1
    login(client, "clerk-001")
    assert "访问记录" not in client.get(f"/cases/{case_no}").get_data(as_text=True)


def test_an_anchor_catches_a_rewritten_chain(app, at_monday):
    _finished_case(app, at_monday)
    runner = app.test_cli_runner()
    made = runner.invoke(args=["audit-anchor"])
    assert made.exit_code == 0 and "覆盖 1 件案件" in made.output
    assert runner.invoke(args=["audit-anchor", "--check"]).exit_code == 0
    with app.app_context(), store.unit_of_work(db.factory()) as sess:  # rewrite the last event and re-chain it
        case = sess.scalars(select(Case)).one()
        last = sess.scalars(select(CaseEvent).where(CaseEvent.seq == case.last_event_seq)).one()
        last.actor_name = "某人"
        last.hash = history.event_hash(last.prev_hash, case.case_no, last)
        case.last_event_hash = last.hash
    with app.app_context(), store.unit_of_work(db.factory()) as sess:
        assert history.verify_chain(sess, sess.scalars(select(Case)).one()) == []  # the chain alone looks fine
    checked = runner.invoke(args=["audit-anchor", "--check"])
    assert checked.exit_code == 1 and "与锚定的链头不一致" in checked.output


def test_the_diagram_page_carries_the_pinned_bpmn_and_the_path(app, client, at_monday):
    case_no = _finished_case(app, at_monday)
    login(client, "auditor")
    resp = client.get(f"/cases/{case_no}/diagram")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "'unsafe-inline'" in resp.headers["Content-Security-Policy"]
    raw = re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', html, re.S).group(1)
    payload = json.loads(raw)
    assert payload["xml"].lstrip().startswith("<?xml") and 'id="dibao_application"' in payload["xml"]
    main = [[a for a in s["active"] if a in PATH] for s in payload["steps"]]
    assert main == [[step] for step in PATH] + [[]] * 2  # ended: nothing of the path is open
    assert "end_approved" in payload["steps"][-1]["completed"]
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in html
