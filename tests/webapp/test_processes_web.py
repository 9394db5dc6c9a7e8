"""流程版本 through the web UI: the administrator loads a new version from files, sees the dry run of the
running cases, moves the movable ones with one button; new cases start on the new version, moved cases
show the move in their history and still verify. Files that change nothing are refused in Chinese."""

import io
import re
from datetime import timedelta

from sqlalchemy import select

from tests import drive
from tests.webapp.web import csrf, login
from tests.workflows.test_upgrades import BPMN, ORIGINAL, RENAMED, household
from webapp import db, services
from workflows import clock, replay
from workflows.store import Case, CaseEvent, ProcessSpec

VERSION_LINK = re.compile(r"/processes/([0-9a-f]{64})$")
REFUSED = "已办结的环节「入户调查」在新版本中已修改"


def _upload(client, files: dict[str, str]):
    data = {"files": [(io.BytesIO(text.encode()), name) for name, text in files.items()],
            "csrf_token": csrf(client, "/processes/")}
    return client.post("/processes/", data=data, content_type="multipart/form-data")


def _cases(app, at_monday) -> tuple[str, str]:
    """A case at its acceptance (movable to RENAMED) and one past the visit (not movable)."""
    with app.app_context():
        factory, svc = db.factory(), services.get()
        past = drive.to_review(factory, svc, household("周三", 41))
        return drive.start(factory, svc, household("周一", 43)), past


def test_the_administrator_loads_a_version_previews_and_migrates(app, client, at_monday):
    waiting, past = _cases(app, at_monday)
    login(client, "admin")
    page = client.get("/processes/").get_data(as_text=True)
    assert "流程版本" in page and "dibao_application" in page and "现行" in page and "部署文件" in page

    resp = _upload(client, {BPMN: RENAMED})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    digest = VERSION_LINK.search(resp.headers["Location"]).group(1)
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    for text in ("已载入新版本", "迁移预览", waiting, past, "可迁移", "不能迁移", REFUSED, "investigate_due",
                 "迁移可迁移的 1 件案件", "系统管理员"):
        assert text in html, text
    with app.app_context():
        assert db.session().get(ProcessSpec, digest).loaded_by
        new_case = drive.start(db.factory(), services.get(), household("周四", 45))
        assert db.session().scalars(select(Case.spec_hash).where(Case.case_no == new_case)).one() == digest

    with clock.frozen(at_monday + timedelta(days=1)):
        resp = client.post(f"/processes/{digest}/migrate", data={"csrf_token": csrf(client, "/processes/")})
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已迁移 1 件案件；1 件仍在原版本上" in html and "迁移可迁移" not in html

    with app.app_context():
        sess = db.session()
        for case_no, on_new in ((waiting, True), (past, False), (new_case, True)):
            case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
            assert (case.spec_hash == digest) is on_new
            assert replay.verify_case(sess, case).verified
        moved = sess.scalars(select(Case).where(Case.case_no == waiting)).one()
        assert sess.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == moved.id)).all()[-1] == "migrated"
    assert "迁移到新流程版本" in client.get(f"/cases/{waiting}").get_data(as_text=True)
    listing = client.get("/processes/").get_data(as_text=True)
    assert digest[:12] in listing and "系统管理员" in listing


def test_files_that_change_nothing_are_refused_and_only_admins_see_the_link(app, client):
    login(client, "admin")
    assert 'href="/processes/"' in client.get("/cases/").get_data(as_text=True)
    resp = _upload(client, {BPMN: ORIGINAL})
    assert resp.status_code == 422
    assert "流程环节、决策表和表单都没有改变" in resp.get_data(as_text=True)
    resp = client.post("/processes/", data={"csrf_token": csrf(client, "/processes/")})
    assert resp.status_code == 422 and "请选择要载入的流程文件" in resp.get_data(as_text=True)
    login(client, "clerk-001")
    assert 'href="/processes/"' not in client.get("/cases/").get_data(as_text=True)
    assert client.get("/processes/").status_code == 403


def test_the_command_line_dry_run_changes_nothing_and_migrate_moves_the_movable(app, at_monday, tmp_path):
    waiting, past = _cases(app, at_monday)
    folder = tmp_path / "bpmn"
    (folder / "forms" / "dibao_application").mkdir(parents=True)
    (folder / BPMN).write_text(RENAMED, encoding="utf-8")
    (folder / "forms" / "_meta.schema.json").write_text("{}", encoding="utf-8")  # not a form: skipped
    runner = app.test_cli_runner()
    with app.app_context():
        versions = db.session().scalars(select(ProcessSpec.hash)).all()

    dry = runner.invoke(args=["process-upgrade", str(folder), "--dry-run", "--migrate"])
    assert dry.exit_code == 2, dry.output  # a running case would stay on its version
    for text in ("预演（未作任何改动）", "案件编号", waiting, past, "可迁移", "不能迁移", REFUSED):
        assert text in dry.output, text
    with app.app_context():
        assert db.session().scalars(select(ProcessSpec.hash)).all() == versions
        assert {c.spec_hash for c in db.session().scalars(select(Case))} <= set(versions)

    with clock.frozen(at_monday + timedelta(days=1)):
        done = runner.invoke(args=["process-upgrade", str(folder / BPMN), "--migrate"])
    assert done.exit_code == 2 and "已迁移 1 件" in done.output, done.output
    with app.app_context():
        sess = db.session()
        spec = {c.case_no: c.spec_hash for c in sess.scalars(select(Case))}
        assert spec[waiting] not in versions and spec[past] in versions
        assert all(replay.verify_case(sess, c).verified for c in sess.scalars(select(Case)))

    again = runner.invoke(args=["process-upgrade", str(folder / BPMN)])
    assert again.exit_code == 1 and "没有改变" in again.output
    bad = runner.invoke(args=["process-upgrade", str(folder / BPMN), "--user", "clerk-001"])
    assert bad.exit_code == 1 and "不是系统管理员" in bad.output
