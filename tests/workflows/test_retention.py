"""Retention (issue 6): long-finished cases keep every event, but their snapshot shrinks to the final
data and digest; the case page, replay and backups still work, and a compacted case cannot move."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.drive import approved, publicized, user
from workflows import clock, engine, procedure, queries, replay, retention
from workflows.errors import Conflict
from workflows.store import Case, CaseEvent, CaseSnapshot, unit_of_work


def _case(sess, case_no: str) -> Case:
    return sess.scalars(select(Case).where(Case.case_no == case_no)).one()


def test_only_long_finished_cases_are_compacted_and_they_still_verify(factory, services, at_monday):
    done = approved(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        case = _case(sess, done)
        data_before = queries.case_data(sess, case)
        events_before = case.last_event_seq
    with clock.frozen(at_monday + timedelta(days=30)):
        assert retention.compact(factory).compacted == 0  # finished, but only a month ago
    with clock.frozen(at_monday + timedelta(days=120)):
        result = retention.compact(factory)
        assert (result.compacted, result.skipped) == (1, 0)
        assert result.bytes_after * 3 < result.bytes_before  # measured: about a quarter
        assert retention.compact(factory).compacted == 0  # once
    with unit_of_work(factory) as sess:
        case = _case(sess, done)
        snap = sess.get(CaseSnapshot, case.id)
        assert retention.is_compacted(snap) and case.last_event_seq == events_before  # no event touched
        assert queries.case_data(sess, case) == json.loads(json.dumps(data_before, default=str))
        assert replay.verify_case(sess, case, services.render, services.store).verified


def test_a_running_case_is_left_alone(factory, services, at_monday):
    case_no = publicized(factory, services)
    with clock.frozen(at_monday + timedelta(days=400)), unit_of_work(factory) as sess:
        assert retention.candidates(sess) == []  # still in 公示 (its timer is due, it is not finished)
    with unit_of_work(factory) as sess:
        assert not retention.is_compacted(sess.get(CaseSnapshot, _case(sess, case_no).id))


def test_an_edited_compacted_snapshot_is_caught(factory, services, at_monday):
    done = approved(factory, services, at_monday)
    with clock.frozen(at_monday + timedelta(days=120)):
        retention.compact(factory)
    with unit_of_work(factory) as sess:
        snap = sess.get(CaseSnapshot, _case(sess, done).id)
        kept = json.loads(snap.state)
        kept["data"]["amount"]["total"] = "9999.00"
        snap.state = json.dumps(kept, ensure_ascii=False)
    with unit_of_work(factory) as sess:
        result = replay.verify_case(sess, _case(sess, done))
        assert not result.verified and any("压缩后快照" in p for p in result.problems)


def test_a_compacted_case_takes_no_more_steps(factory, services, at_monday):
    done = approved(factory, services, at_monday)
    with clock.frozen(at_monday + timedelta(days=120)):
        retention.compact(factory)
        with pytest.raises(Conflict), unit_of_work(factory) as sess:
            procedure.record_objection(sess, user(sess, "clerk-001"), done,
                                       {"received_on": "2027-03-01", "channel": "visit", "objector": "张三",
                                        "content": "有异议"}, services)
    with unit_of_work(factory) as sess:
        kinds = [e.kind for e in sess.scalars(select(CaseEvent).where(CaseEvent.case_id == _case(sess, done).id))]
        assert "message_received" not in kinds[-1:]
        assert engine.due_timer_cases(sess) == []
