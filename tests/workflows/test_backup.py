"""Backup and restore (issue 6): a restored database replay-verifies every case and its documents."""

import io
import itertools
import tarfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import drive, pgserver
from tests import factories as f
from tests.workflows.test_engine_flow import do, start, tick, to_decision, to_review
from workflows import backup, clock, engine, replay, roster
from workflows.documents import DocumentStore
from workflows.errors import Conflict, Invalid
from workflows.step import Services
from workflows.store import Base, Case, User, make_engine, make_session_factory, schema, unit_of_work

_numbers = itertools.count(1)


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.sqlite),
                        pytest.param("postgresql", marks=pytest.mark.postgresql)])
def empty_db(request, tmp_path):
    """An empty database on the parametrized backend (the restore target)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
        yield engine
        engine.dispose()
        return
    cluster = request.getfixturevalue("pg_cluster")
    admin, name = cluster.admin(), f"dibao_restore_{next(_numbers)}"
    pgserver.create_database(admin, name)
    engine = make_engine(cluster.url(name))
    yield engine
    engine.dispose()
    pgserver.drop_database(admin, name)
    admin.close()


def _cases(factory, services, at_monday) -> list[str]:
    """An approved case (with a benefit), the payment roster that pays it (its own case), a refused one, one
    in progress."""
    approved = to_decision(factory, services)
    tick(factory, services, at_monday + timedelta(days=8))
    with clock.frozen(at_monday + timedelta(days=8)):
        do(factory, services, approved, "leader-001", f.leader())
        paid = drive.roster(factory, services, "2027-01")
    refused = to_review(factory, services, f.registration(members=[f.member("钱多", f.date(1970, 2, 2), "self", "5000",
                                                                           seq=9)]))
    do(factory, services, refused, "reviewer-001", f.review("propose_refuse"))
    do(factory, services, refused, "leader-001", f.leader("reject", "收入超过标准"))
    open_case = start(factory, services, f.registration(members=[f.member("孙立", f.date(1980, 3, 3), "self", "100",
                                                                          seq=11)]))
    return [approved, paid, refused, open_case]


def test_a_restored_backup_replays_every_case_and_its_documents(factory, services, at_monday, empty_db, tmp_path):
    case_nos = _cases(factory, services, at_monday)
    archive = tmp_path / "backup.tar.gz"
    source_engine = factory.kw["bind"]
    manifest = backup.backup(source_engine, services.store.root, archive)
    assert manifest["tables"]["case_record"]["rows"] == 4 and manifest["documents"]
    restored_docs = DocumentStore(tmp_path / "restored-documents")
    backup.restore(archive, empty_db, restored_docs.root)
    restored = make_session_factory(empty_db)
    with unit_of_work(restored) as sess:
        for table in Base.metadata.sorted_tables:
            if table.name == schema.VERSION_TABLE:
                continue
            assert sess.scalar(select(func.count()).select_from(table)) == manifest["tables"][table.name]["rows"]
        for case_no in case_nos:
            case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
            result = replay.verify_case(sess, case, services.render, restored_docs)
            assert result.verified, result.as_dict()
        issued = roster.find(sess, "640104001", "2027-01")
        assert roster.reconcile(sess, issued) == []
        assert roster.xlsx_bytes(sess, issued, restored_docs)  # the workbook came back, hash checked
    # the restored database keeps working: ids continue after the restored ones
    with unit_of_work(restored) as sess, clock.frozen(at_monday + timedelta(days=10)):
        clerk = sess.scalars(select(User).where(User.username == "clerk-002")).one()
        made = engine.start_case(sess, clerk, f.registration(members=[
            f.member("新申请", f.date(1975, 5, 5), "self", "0", seq=13)], responsible_township="640104002"),
            Services(services.render, restored_docs))
        assert made.case.id > max(c.id for c in sess.scalars(select(Case).where(Case.id != made.case.id)))


def test_restore_refuses_a_database_that_is_not_empty_or_a_damaged_archive(factory, services, at_monday, tmp_path):
    start(factory, services)
    archive = tmp_path / "backup.tar.gz"
    backup.backup(factory.kw["bind"], services.store.root, archive)
    with pytest.raises(Conflict):
        backup.restore(archive, factory.kw["bind"], tmp_path / "docs")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            payload = src.extractfile(member).read()
            if member.name == "tables/case_record.jsonl":
                payload = payload.replace("张秀兰".encode(), "李秀兰".encode())
            member.size = len(payload)
            dst.addfile(member, io.BytesIO(payload))
    target = make_engine(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    try:
        with pytest.raises(Invalid, match="damaged"):
            backup.restore(damaged, target, tmp_path / "docs2")
    finally:
        target.dispose()
