"""Step incidents (issue 6): a step that fails for a reason nobody typed is rolled back and recorded;
the case stays where it was, the failing timer backs off, and the next successful step closes it."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from tests import factories as f
from tests.drive import accepted, do, open_task, publicized, run_calls, tick, user
from workflows import clock, engine, incidents, replay, settings
from workflows.errors import StepFailed
from workflows.store import Case, CaseEvent, Setting, StepIncident, unit_of_work


def _drop_setting(factory, key: str) -> list[tuple]:
    """Remove a setting everywhere (an administrator's mistake); what is needed to put it back."""
    with unit_of_work(factory) as sess:
        rows = [(r.key, r.area_code, r.effective_from, r.value, r.source)
                for r in sess.scalars(select(Setting).where(Setting.key == key))]
        sess.execute(delete(Setting).where(Setting.key == key))
    assert rows
    return rows


def _restore(factory, rows: list[tuple]) -> None:
    with unit_of_work(factory) as sess:
        for key, area, since, value, source in rows:
            settings.set_value(sess, key, area, since, json.loads(value), source)


def _events(factory, case_no: str) -> int:
    with unit_of_work(factory) as sess:
        return sess.scalars(select(Case.last_event_seq).where(Case.case_no == case_no)).one()


def _open(factory) -> list[tuple]:
    with unit_of_work(factory) as sess:
        return [(i.kind, i.attempts, i.task_spec) for i in
                sess.scalars(select(StepIncident).where(StepIncident.resolved_at.is_(None)))]


def test_a_task_whose_next_step_fails_is_rolled_back_and_recorded(factory, services, at_monday):
    sub = f.registration()
    case_no = accepted(factory, services, sub)
    assert run_calls(factory, services) == 1
    do(factory, services, case_no, "investigator-001", f.investigate(sub["members"]))
    before = _events(factory, case_no)
    saved = _drop_setting(factory, "dibao.edge_ratio")  # read by the assessment that runs after the cosign
    task = open_task(factory, case_no)
    with pytest.raises(StepFailed) as failed, unit_of_work(factory) as sess:
        engine.complete_task(sess, user(sess, "investigator2-001"), task.id, f.cosign(), services)
    err = failed.value
    assert err.status == 500 and err.kind == "task" and "dibao.edge_ratio" in err.error
    assert "已填写的内容没有丢失" in err.message_zh
    with unit_of_work(factory) as sess:
        incidents.record(sess, err)
    assert _events(factory, case_no) == before  # nothing of the step was kept
    assert open_task(factory, case_no).id == task.id  # the task is still open, as it was
    assert _open(factory) == [("task", 1, "cosign")]

    _restore(factory, saved)  # the administrator puts the setting back; the investigator submits again
    do(factory, services, case_no, "investigator2-001", f.cosign())
    assert _open(factory) == []
    with unit_of_work(factory) as sess:
        found = sess.scalars(select(StepIncident)).one()
        assert found.resolved_by == "investigator2-001"
        assert replay.verify_case(sess, sess.scalars(select(Case).where(Case.case_no == case_no)).one()).verified


def test_a_failing_timer_backs_off_and_closes_when_it_fires(factory, services, at_monday):
    publicized(factory, services)
    saved = _drop_setting(factory, "dibao.deadline.confirm_wd")  # the leader's due time, set when the notice ends
    later = at_monday + timedelta(days=8)
    with clock.frozen(later), unit_of_work(factory) as sess:
        (case_id,) = engine.due_timer_cases(sess)
    for attempt, minutes in ((1, 1), (2, 2), (3, 4)):
        at = later + timedelta(minutes=sum(2 ** i for i in range(attempt - 1)))
        with clock.frozen(at):
            with pytest.raises(StepFailed) as failed, unit_of_work(factory) as sess:
                engine.fire_timers(sess, case_id, services)
            with unit_of_work(factory) as sess:
                found = incidents.record(sess, failed.value)
                assert (found.attempts, found.next_retry_at - at) == (attempt, timedelta(minutes=minutes))
            with unit_of_work(factory) as sess:  # the worker leaves the case alone until its retry time
                assert engine.due_timer_cases(sess) == []
    assert _open(factory) == [("timer", 3, None)]
    with clock.frozen(later + timedelta(minutes=7)), unit_of_work(factory) as sess:
        assert engine.due_timer_cases(sess) == [case_id]  # due again after the back-off

    _restore(factory, saved)
    assert tick(factory, services, later + timedelta(minutes=8)) == 1
    assert _open(factory) == []
    with unit_of_work(factory) as sess:
        kinds = [e.kind for e in sess.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))]
        assert kinds.count("timer_fired") == 1  # the failed attempts left nothing in the history
        assert replay.verify_case(sess, sess.get(Case, case_id)).verified


def test_back_off_grows_to_a_cap():
    assert [incidents.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert incidents.backoff(30) == incidents.BACKOFF_CAP == timedelta(hours=6)
