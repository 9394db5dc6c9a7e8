"""The auditor's audit dossier of a case and the chain anchors (issue 5): what an inspector takes away."""

import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

from sqlalchemy import select

from tests import factories as f
from tests import scans
from tests.drive import approved, do, start
from tests.webapp.test_documents import pdf_text
from tests.webapp.web import csrf, login
from webapp import db, services, worker
from workflows import anchors, attachments, clock, dossier, runtime, store
from workflows.store import AccessLog, Case, CaseEvent, ChainAnchor, Document, User


def _finished_case(app, at_monday) -> str:
    with app.app_context():
        return approved(db.factory(), services.get(), at_monday)


def _dossier(client, case_no: str) -> dict[str, bytes]:
    resp = client.get(f"/cases/{case_no}/dossier.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "attachment" in resp.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(resp.data)) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def _rechain(case_no: str, events: list[dict]) -> str:
    """Recompute the chain from events.json alone, by the rule the file states (no project code)."""
    prev = ""
    for ev in events:
        body = [prev, case_no, ev["seq"], ev["kind"], ev["task_spec"], ev["task_id"], ev["actor_id"],
                ev["actor_name"], ev["at"], ev["data"], ev["state_digest"]]
        if ev["digest_version"] != 1:  # "with digest_version appended as a twelfth element when it is not 1"
            body.append(ev["digest_version"])
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert ev["prev_hash"] == prev
        prev = hashlib.sha256(text.encode()).hexdigest()
        assert prev == ev["hash"], f"event {ev['seq']}"
    return prev


def test_the_dossier_holds_everything_an_inspector_needs(app, client, at_monday):
    case_no = _finished_case(app, at_monday)
    with app.app_context(), store.unit_of_work(db.factory()) as sess:
        anchor_id = anchors.make_anchor(sess).id
    login(client, "auditor")
    files = _dossier(client, case_no)

    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["verified"] is True and manifest["generated_by"].endswith("（auditor）")
    assert {name: hashlib.sha256(data).hexdigest() for name, data in files.items()} == manifest["files"]

    stated = json.loads(files["events.json"])
    events = stated["events"]
    assert _rechain(case_no, events) == manifest["chain_head"]["hash"]
    assert "twelfth element" in stated["chain_rule"] and list(stated["digest_rules"]) == ["2"]
    assert json.loads(files["verification.json"])["verified"] is True
    assert json.loads(files["verification.json"])["steps_checked"] == len(events)
    assert [a["anchor_id"] for a in json.loads(files["anchors.json"])] == [anchor_id]
    assert json.loads(files["anchors.json"])[0]["matches"] is True
    assert b'id="dibao_application"' in files["process/dibao_application.bpmn"]
    assert "process/dibao_eligibility.dmn" in files

    with app.app_context():
        docs = [(d.kind, d.number, d.sha256) for d in db.session().scalars(select(Document))]
    assert {kind for kind, _, _ in docs} == {"approval_notice", "public_notice_list"}
    for _, number, sha in docs:  # the PDFs themselves, byte for byte as issued (the township's 公示 list included)
        assert hashlib.sha256(files[f"documents/{number}.pdf"]).hexdigest() == sha

    report = pdf_text(files["dossier.pdf"])
    numbers = [number for _, number, _ in docs]
    for text in ("案件审计卷宗", case_no, "验证通过", "办理路径", "事件记录", "访问记录", *numbers):
        assert text in report, text
    assert f"第{len(events)}个事件" in report  # the chain head

    page = files["diagram.html"].decode()
    assert "BpmnJS" in page and 'id="diagram-data"' in page and "<script src=" not in page  # opens offline
    steps = json.loads(page.split('id="diagram-data">')[1].split("</script>")[0])["steps"]
    assert steps[-1]["seq"] == len(events)

    with app.app_context():
        logged = db.session().execute(select(AccessLog.username, AccessLog.target)
                                      .where(AccessLog.action == "dossier_exported")).all()
    assert [tuple(a) for a in logged] == [("auditor", f"{case_no}-dossier.zip")]


def test_a_case_recorded_partly_before_digest_versions_rechains_by_the_stated_rule(app, client, at_monday,
                                                                                  monkeypatch):
    with app.app_context():
        with monkeypatch.context() as old_code:  # its first step as the code before digest versions made it
            old_code.setattr(runtime, "DIGEST_VERSION", 1)
            case_no = start(db.factory(), services.get())
        do(db.factory(), services.get(), case_no, "clerk-001", f.accept())
    login(client, "auditor")
    files = _dossier(client, case_no)
    stated = json.loads(files["events.json"])
    assert [ev["digest_version"] for ev in stated["events"]] == [1, 2]
    assert _rechain(case_no, stated["events"]) == json.loads(files["manifest.json"])["chain_head"]["hash"]
    assert list(stated["digest_rules"]) == ["1", "2"] and json.loads(files["verification.json"])["verified"]


def test_a_tampered_case_dossier_says_where(app, client, at_monday):
    case_no = _finished_case(app, at_monday)
    with app.app_context(), store.unit_of_work(db.factory()) as sess:
        anchors.make_anchor(sess)
        ev = sess.scalars(select(CaseEvent).where(CaseEvent.seq == 4)).one()
        ev.actor_name = "某人"  # an edit without re-chaining
    login(client, "auditor")
    files = _dossier(client, case_no)
    verdict = json.loads(files["verification.json"])
    assert verdict["verified"] is False and "第 4 条事件：哈希链断裂" in verdict["problems"]
    assert json.loads(files["manifest.json"])["verified"] is False
    report = pdf_text(files["dossier.pdf"])
    assert "验证未通过" in report and "第4条事件：哈希链断裂" in report


def test_township_staff_cannot_take_a_dossier(app, client, at_monday):
    case_no = _finished_case(app, at_monday)
    login(client, "reviewer-001")
    assert client.get(f"/cases/{case_no}/dossier.zip").status_code == 403


def test_the_anchor_page_makes_checks_and_prints(app, client, at_monday):
    case_no = _finished_case(app, at_monday)
    login(client, "auditor")
    assert "还没有锚点" in client.get("/audit/anchors").get_data(as_text=True)
    made = client.post("/audit/anchors", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert "已生成锚点" in made.get_data(as_text=True)
    again = client.post("/audit/anchors", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert "没有新的办理事件" in again.get_data(as_text=True)  # the same heads: no duplicate anchor
    with app.app_context():
        anchor = db.session().scalars(select(ChainAnchor)).one()
        anchor_id, root = anchor.id, anchor.root

    heads = client.get(f"/audit/anchors/{anchor_id}.json").data
    assert hashlib.sha256(heads).hexdigest() == root and case_no in heads.decode()
    printed = pdf_text(client.get(f"/audit/anchors/{anchor_id}.pdf").data)
    assert "哈希链锚点凭证" in printed and root in printed and "覆盖案件1件" in printed

    checked = client.post("/audit/anchors/check", data={"csrf_token": csrf(client)})
    assert "全部锚点核对一致" in checked.get_data(as_text=True)
    with app.app_context(), store.unit_of_work(db.factory()) as sess:  # delete the anchored last event
        case = sess.scalars(select(Case)).one()
        sess.delete(sess.scalars(select(CaseEvent).where(CaseEvent.seq == case.last_event_seq)).one())
    checked = client.post("/audit/anchors/check", data={"csrf_token": csrf(client)}).get_data(as_text=True)
    assert f"案件 {case_no} 第 " in checked and "已不存在" in checked


def test_the_worker_anchors_once_a_day(app, at_monday):
    _finished_case(app, at_monday)
    with app.app_context():
        with clock.frozen(at_monday + timedelta(days=20)):
            first = worker.run_pass().anchor
            assert first is not None and worker.run_pass().anchor is None  # once a day
        with clock.frozen(at_monday + timedelta(days=21)):
            assert worker.run_pass().anchor is None  # nothing happened since: yesterday's still covers all
        with clock.frozen(at_monday + timedelta(days=30)):  # a second case registered: new heads
            start(db.factory(), services.get(), f.registration([f.member("赵雯婷", date(1990, 2, 3), seq=8)]))
        with clock.frozen(at_monday + timedelta(days=40)):
            second = worker.run_pass().anchor
        with store.unit_of_work(db.factory()) as sess:
            assert [a.cases for a in sess.scalars(select(ChainAnchor).order_by(ChainAnchor.id))] == [1, 2]
            assert second is not None and anchors.check_all(sess) == []


def test_the_dossier_carries_the_scans_as_uploaded(app, client, at_monday):
    with app.app_context():
        case_no = start(db.factory(), services.get())
        with store.unit_of_work(db.factory()) as sess:
            clerk = sess.scalars(select(User).where(User.username == "clerk-001")).one()
            row = attachments.attach(sess, clerk, case_no, scans.jpeg(), "身份证.jpg", "id_cards", services.get().store)
            path, sha = dossier.scan_path(row), row.sha256
    login(client, "auditor")
    files = _dossier(client, case_no)
    assert path.endswith("-id_cards.jpg") and hashlib.sha256(files[path]).hexdigest() == sha
    assert json.loads(files["manifest.json"])["files"][path] == sha
    assert path in pdf_text(files["dossier.pdf"])
