"""Case attachments (材料扫描件): the type read from the content, the size limit, storage by hash, the history."""

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import factories as f
from tests import scans
from tests.drive import case_row, do, start, user
from workflows import attachments, backup, history, replay, settings
from workflows.documents import DocumentStore
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.store import Case, CaseAttachment, CaseEvent, make_engine, make_session_factory, unit_of_work

ROOT = Path(__file__).resolve().parents[2]
TEN_MB = 10 * 1024 * 1024


def attach(factory, services, case_no, content, name="身份证.jpg", material="id_cards", who="clerk-001"):
    with unit_of_work(factory) as sess:
        row = attachments.attach(sess, user(sess, who), case_no, content, name, material, services.store)
        return row


def refused(factory, services, case_no, content, name="扫描件.jpg", **kw) -> Invalid:
    with pytest.raises(Invalid) as err:
        attach(factory, services, case_no, content, name, **kw)
    return err.value


def restored_case(sess, case_no: str) -> Case:
    return sess.scalars(select(Case).where(Case.case_no == case_no)).one()


def test_materials_are_the_codes_of_the_required_materials_table(factory, services, at_monday):
    case_no = start(factory, services)
    with unit_of_work(factory) as sess:
        found = attachments.materials(sess, case_row(factory, case_no))
    assert list(found) == ["application_form", "hukou_book", "id_cards", "income_declaration", "authorization",
                           "health_proof", "entrustment", "residence_proof", "other"]
    assert (found["hukou_book"], found["health_proof"]) == ("户口簿", "残疾证或疾病诊断证明")
    assert found["other"] == "其他材料"


@pytest.mark.parametrize(("content", "name", "expected"), [
    (scans.jpeg(), "身份证.jpg", "image/jpeg"),
    (scans.png(), "户口本.JPG", "image/png"),  # the name says JPEG; the bytes are PNG
    (scans.pdf(), "收入证明", "application/pdf"),
    (scans.pdf_with_packed_action(b"<< /S /GoTo /D [3 0 R /Fit] >>"), "x.pdf", "application/pdf"),
    (scans.pdf(page_data=b"q 0 0 1 rg 9 9 99 99 re f Q % /JS /Launch\n"), "y.pdf", "application/pdf"),  # stream data
])
def test_the_type_comes_from_the_content_not_the_name(factory, services, at_monday, content, name, expected):
    case_no = start(factory, services)
    row = attach(factory, services, case_no, content, name)
    assert (row.content_type, row.size, row.filename) == (expected, len(content), name)
    assert attachments.download_name(row) == Path(name).stem + attachments.TYPES[expected]


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"<html><body><script>alert(document.cookie)</script></body></html>", "身份证.jpg", "只能上传PDF、JPEG或PNG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "户口本.png", "只能上传PDF"),
    (b"#!/bin/sh\nrm -rf /\n", "收入证明.pdf", "只能上传PDF、JPEG或PNG"),
    (b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", "身份证.jpg", "图片文件已损坏"),  # JPEG signature only
    (b"%PDF-1.7\n<script>alert(1)</script>", "证明.pdf", "PDF文件已损坏"),
    (scans.pdf(javascript="app.alert('x')"), "证明.pdf", "含有脚本"),
    (scans.pdf(launch="cmd.exe"), "证明.pdf", "含有脚本"),
    (scans.pdf(javascript="x").replace(b"/JavaScript", b"/Java#53cript"), "证明.pdf", "含有脚本"),  # escaped name
    (scans.pdf_with_packed_action(b"<< /S /Launch /F (cmd.exe) >>"), "证明.pdf", "含有脚本"),  # in an object stream
    (scans.pdf_with_packed_action(b"<< /S /JavaScript /JS (app.alert(1)) >>"), "证明.pdf", "含有脚本"),
    (scans.encrypted_pdf(), "证明.pdf", "PDF文件已加密"),
    (b"", "空白.pdf", "空文件"),
    (b"", "", "请选择要上传的扫描件"),
])
def test_files_that_are_not_clean_scans_are_refused_with_a_chinese_message(factory, services, at_monday, content,
                                                                           name, message):
    case_no = start(factory, services)
    err = refused(factory, services, case_no, content, name)
    assert message in err.message_zh and err.details["file"] == err.message_zh
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(CaseAttachment)).all() == []
        assert [e.kind for e in history.events_of(sess, case_row(factory, case_no))] == ["application_submitted"]
    assert not (services.store.root / attachments.FOLDER).exists()


def test_the_size_limit_is_a_dated_setting_of_the_area(factory, services, at_monday):
    case_no = start(factory, services)
    err = refused(factory, services, case_no, b"%PDF-1.4\n" + b"0" * TEN_MB)
    assert "不能超过 10 MB" in err.message_zh
    big = scans.png((160, 160), noise=True)  # about 77 KB
    assert len(big) > 60_000
    with unit_of_work(factory) as sess:
        settings.set_value(sess, "attachment.max_bytes", "640104001", date(2026, 11, 1), 60_000, "test")
    assert "不能超过" in refused(factory, services, case_no, big, "照片.png").message_zh
    someone_else = [f.member("赵雯婷", date(1990, 2, 3), seq=8, income="100")]
    other = start(factory, services, f.registration(someone_else, responsible_township="640104002"),
                  clerk="clerk-002")
    assert attach(factory, services, other, big, "照片.png", who="clerk-002").size == len(big)  # 002 keeps 10 MB


def test_an_unknown_material_is_refused(factory, services, at_monday):
    case_no = start(factory, services)
    err = refused(factory, services, case_no, scans.jpeg(), material="passport")
    assert err.details == {"material": "请选择材料类别"}


def test_stored_by_hash_outside_the_web_root_never_by_the_users_name(factory, services, at_monday):
    case_no = start(factory, services)
    content = scans.pdf()
    row = attach(factory, services, case_no, content, "../../webapp/static/身份证.pdf")
    assert row.filename == "身份证.pdf"
    path = services.store.root / row.storage_key
    assert row.storage_key == f"attachments/{row.sha256[:2]}/{row.sha256}.bin"
    assert path.read_bytes() == content and path.name == f"{row.sha256}.bin"
    assert not path.resolve().is_relative_to(ROOT / "webapp")
    assert not any((ROOT / "webapp" / "static").rglob("身份证*"))
    assert attachments.content_of(services.store, row) == content


def test_the_upload_is_an_event_in_the_chain_and_replay_still_verifies(factory, services, at_monday):
    case_no = start(factory, services)
    row = attach(factory, services, case_no, scans.jpeg(), "户口本.jpg", "hukou_book")
    do(factory, services, case_no, "clerk-001", f.accept())  # the workflow goes on after the upload
    attach(factory, services, case_no, scans.png(), "申请书.png", "application_form", who="investigator-001")
    with unit_of_work(factory) as sess:
        case = case_row(factory, case_no)
        events = history.events_of(sess, case)
        assert [e.kind for e in events] == ["application_submitted", "attachment_added", "task_completed",
                                            "attachment_added"]
        assert json.loads(events[1].data) == {"material": "hukou_book", "filename": "户口本.jpg",
                                              "content_type": "image/jpeg", "size": row.size, "sha256": row.sha256}
        assert events[1].seq == row.event_seq and events[1].state_digest == events[0].state_digest
        assert events[3].actor_name == user(sess, "investigator-001").display_name
        assert history.verify_chain(sess, case) == []
        result = replay.verify_case(sess, case, store=services.store)
        assert result.verified, result.as_dict()
        assert result.steps == 4


def test_replay_reports_a_changed_file_and_a_register_that_differs_from_the_history(factory, services, at_monday):
    case_no = start(factory, services)
    row = attach(factory, services, case_no, scans.jpeg(), "户口本.jpg", "hukou_book")
    (services.store.root / row.storage_key).write_bytes(scans.png())
    with unit_of_work(factory) as sess:
        result = replay.verify_case(sess, case_row(factory, case_no), store=services.store)
        assert result.problems == [f"第 {row.event_seq} 条事件的扫描件：保存的文件缺失或被改动"]
        sess.get(CaseAttachment, row.id).material = "id_cards"
        sess.flush()
        result = replay.verify_case(sess, case_row(factory, case_no))
        assert result.problems == [f"第 {row.event_seq} 条事件的扫描件：登记与事件记录不一致"]
        assert result.divergence is None  # the workflow itself still replays


def test_a_backup_carries_the_scans_and_the_restored_case_verifies(factory, services, at_monday, tmp_path):
    case_no = start(factory, services)
    content = scans.pdf()
    row = attach(factory, services, case_no, content, "收入证明.pdf", "income_declaration")
    archive, restored_docs = tmp_path / "backup.tar.gz", DocumentStore(tmp_path / "restored-documents")
    backup.backup(factory.kw["bind"], services.store.root, archive)
    target = make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    try:
        backup.restore(archive, target, restored_docs.root)
        with unit_of_work(make_session_factory(target)) as sess:
            restored = sess.get(CaseAttachment, row.id)
            assert attachments.content_of(restored_docs, restored) == content
            result = replay.verify_case(sess, restored_case(sess, case_no), store=restored_docs)
            assert result.verified, result.as_dict()
    finally:
        target.dispose()


def test_a_changed_file_is_never_served(factory, services, at_monday):
    case_no = start(factory, services)
    row = attach(factory, services, case_no, scans.jpeg())
    (services.store.root / row.storage_key).write_bytes(b"<html>")
    with pytest.raises(attachments.DocumentIntegrityError) as err:
        attachments.content_of(services.store, row)
    assert "材料扫描件文件缺失或与登记的哈希值不一致" in err.value.message_zh


def test_who_may_attach(factory, services, at_monday):
    case_no = start(factory, services)
    for who in ("investigator-001", "reviewer-001", "leader-001"):
        attach(factory, services, case_no, scans.png((10 + len(who), 10)), who=who)
    with pytest.raises(NotFound):
        attach(factory, services, case_no, scans.jpeg(), who="clerk-002")  # another township: no such case
    for who in ("auditor", "admin"):
        with pytest.raises(Forbidden) as err:
            attach(factory, services, case_no, scans.jpeg(), who=who)
        assert "只能查看" in err.value.message_zh
    with pytest.raises(Conflict) as err:
        attach(factory, services, case_no, scans.png((10 + len("leader-001"), 10)))
    assert "已作为该类材料上传过" in err.value.message_zh
    attach(factory, services, case_no, scans.png((10 + len("leader-001"), 10)), material="other")  # another material


def test_an_ended_case_takes_no_more_attachments(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept(decision="not_accept", note="不属于本辖区"))
    assert case_row(factory, case_no).status == "NOT_ACCEPTED"
    with pytest.raises(Conflict) as err:
        attach(factory, services, case_no, scans.jpeg())
    assert "案件已办结" in err.value.message_zh
    with unit_of_work(factory) as sess:
        assert sess.scalars(select(CaseEvent.kind).where(CaseEvent.kind == "attachment_added")).all() == []


@pytest.mark.parametrize(("given", "shown"), [
    ("C:\\Users\\张三\\Desktop\\身份证 正面.jpg", "身份证 正面.jpg"),
    ("../../etc/passwd", "passwd"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),  # a right-to-left override would show it as "exe.jpg"
    ("a\x00b\r\n<script>.pdf", "ab_script_.pdf"),
    ("  ..  ", "未命名文件"),
    ("户" * 200 + ".pdf", "户" * 116 + ".pdf"),
])
def test_file_names_are_kept_only_as_clean_display_text(given, shown):
    assert attachments.clean_filename(given) == shown
