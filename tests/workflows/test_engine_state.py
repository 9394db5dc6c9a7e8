"""Snapshots, digests, the event chain and concurrent steps."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tests import factories as f
from tests.workflows.test_engine_flow import do, open_task, start, user
from workflows import engine, history, runtime, specs
from workflows.documents import DocumentIntegrityError, DocumentStore
from workflows.errors import Conflict
from workflows.script_env import StepContext, script_engine
from workflows.store import Case, CaseEvent, CaseSnapshot, ProcessSpec, unit_of_work


def test_snapshot_round_trips_and_digest_matches(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept())
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        snap = sess.get(CaseSnapshot, case.id)
        version = specs.version_by_hash(sess, case.spec_hash)
        scripts = script_engine(StepContext(sess, case.township_code, at_monday.date()))
        wf = runtime.load_state(snap.state, version, scripts)
        assert runtime.state_digest(wf) == snap.digest
        assert runtime.dump_state(wf) == snap.state
        assert '"task_specs"' not in snap.state  # the spec is stored once, in process_spec
        assert sess.get(ProcessSpec, case.spec_hash) is not None
        events = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())
        last = sess.scalars(events).first()
        assert last.state_digest == snap.digest


def test_an_edited_event_breaks_the_chain(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept())
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        assert history.verify_chain(sess, case) == []
        first = sess.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == 1)).one()
        first.data = first.data.replace("600.00", "60.00")
        sess.flush()
        problems = history.verify_chain(sess, case)
    assert problems and problems[0].startswith("第 1 条事件")


def test_two_people_completing_one_task_at_once_one_wins(factory, services, at_monday):
    case_no = start(factory, services)
    task = open_task(factory, case_no)
    late = factory()
    try:
        stale = late.scalars(select(Case).where(Case.case_no == case_no)).one()  # read before the other commits
        with unit_of_work(factory) as sess:
            engine.complete_task(sess, user(sess, "clerk-001"), task.id, f.accept(), services)
        with pytest.raises(Conflict):  # the task is done by the time the late request looks for it
            engine.complete_task(late, user(late, "clerk-001"), task.id, f.accept(), services)
        stale.status = "WITHDRAWN"  # a write based on the old version of the case row
        with pytest.raises(StaleDataError):
            late.flush()
    finally:
        late.rollback()
        late.close()
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        kinds = [e.kind for e in sess.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
        assert kinds == ["application_submitted", "task_completed"]
        assert case.status == "VERIFYING"


def test_a_changed_document_file_is_never_served(tmp_path):
    store = DocumentStore(tmp_path)
    digest = store.put(b"%PDF-1.7 original")
    assert store.get(digest) == b"%PDF-1.7 original"
    store.path(digest).write_bytes(b"%PDF-1.7 forged")
    with pytest.raises(DocumentIntegrityError):
        store.get(digest)
    store.path(digest).unlink()
    with pytest.raises(DocumentIntegrityError):
        store.get(digest)
