"""State digests by version (issue 7, P6): version 2 writes each task's data as its change from its
parent's, so it is cheaper, yet it fingerprints the same logical state — a changed value, task state
or internal datum is caught; cases recorded with version 1 still verify, also when they continue under
version 2, and the chain stays checkable by the rule the dossier states."""

import copy
import hashlib
import json
from datetime import timedelta

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update

from tests import factories as f
from tests.drive import approved, do, open_task, start, to_review, user
from workflows import clock, dossier, engine, history, procedure, replay, retention, runtime, specs
from workflows.script_env import StepContext, script_engine
from workflows.store import Case, CaseEvent, CaseSnapshot, unit_of_work


def _case(sess, case_no: str) -> Case:
    return sess.scalars(select(Case).where(Case.case_no == case_no)).one()


def _restored(sess, case_no: str):
    """The case's workflow as its snapshot holds it, and the snapshot."""
    case = _case(sess, case_no)
    snap = sess.get(CaseSnapshot, case.id)
    version = specs.version_by_hash(sess, case.spec_hash)
    return runtime.load_state(snap.state, version, script_engine(StepContext(sess, case.township_code,
                                                                            clock.today()))), snap


def _events(sess, case_no: str) -> list[CaseEvent]:
    return history.events_of(sess, _case(sess, case_no))


@pytest.fixture
def extended(factory, services, at_monday) -> str:
    """A case at the township review whose time limit was extended (an event subprocess ran) and whose
    assessment ran the per-member 增发 table (a multi-instance task)."""
    case_no = to_review(factory, services)
    with unit_of_work(factory) as sess:
        procedure.extend_deadline(sess, user(sess, "leader-001"), case_no, {"reason": "函询核实"}, services)
    return case_no


def test_new_steps_record_version_2_and_a_restored_snapshot_gives_the_same_digest(factory, extended):
    with unit_of_work(factory) as sess:
        wf, snap = _restored(sess, extended)
        events = _events(sess, extended)
        assert wf.subprocesses and runtime.tree_order(wf) == wf.get_tasks()  # the walk is get_tasks' order
        assert {ev.digest_version for ev in events} == {snap.digest_version} == {runtime.DIGEST_VERSION} == {2}
        assert runtime.state_digest(wf) == runtime.state_digest(wf, 2) == snap.digest == events[-1].state_digest
        assert runtime.state_digest(wf, 1) != snap.digest  # another rule, another value
        with pytest.raises(ValueError, match="unknown state digest version"):
            runtime.state_digest(wf, 3)


def _leaf_with_own_data(wf):
    """A completed task that set data of its own (not only what its parent had), deepest in the tree."""
    found = [t for t in runtime.tree_order(wf) if t.parent is not None and t.state == TaskState.COMPLETED
             and any(k not in t.parent.data or t.parent.data[k] != v for k, v in t.data.items())]
    return found[-1]


def _set_value(wf):
    task = _leaf_with_own_data(wf)
    key = next(k for k, v in task.data.items() if k not in task.parent.data or task.parent.data[k] != v)
    task.data = {**task.data, key: "篡改"}


def _reset_to_parent(wf):  # a value a task changed put back to its parent's (the change disappears)
    task, key = [(t, k) for t in runtime.tree_order(wf) if t.parent is not None
                 for k, v in t.data.items() if k in t.parent.data and t.parent.data[k] != v][-1]
    task.data = {**task.data, key: copy.deepcopy(task.parent.data[key])}


def _drop_key(wf):
    task = _leaf_with_own_data(wf)
    task.data = {k: v for k, v in task.data.items() if k != next(iter(task.data))}


def _ancestor_value(wf):  # the parent's value changes, the task's own stays: only the parent's row differs
    task = _leaf_with_own_data(wf).parent
    key = next(iter(task.data))
    task.data = {**task.data, key: "篡改"}


def _task_state(wf):
    task = next(t for t in runtime.tree_order(wf) if t.state == TaskState.COMPLETED and t.parent is not None)
    task._state = TaskState.CANCELLED


def _internal_data(wf):
    task = next(t for t in runtime.tree_order(wf) if t.internal_data)
    task.internal_data = {**task.internal_data, "篡改": 1}


def _workflow_data(wf):
    wf.data = {**wf.data, "case_clock": "篡改"}


@pytest.mark.parametrize("tamper", [_set_value, _reset_to_parent, _drop_key, _ancestor_value, _task_state,
                                    _internal_data, _workflow_data])
def test_version_2_changes_with_any_value_state_or_internal_datum(factory, extended, tamper):
    with unit_of_work(factory) as sess:
        wf, snap = _restored(sess, extended)
        assert runtime.state_digest(wf, 2) == snap.digest
        tamper(wf)
        assert runtime.state_digest(wf, 2) != snap.digest


def _edit_snapshot(factory, case_no: str, edit) -> None:
    with unit_of_work(factory) as sess:
        snap = sess.get(CaseSnapshot, _case(sess, case_no).id)
        state = json.loads(snap.state)
        edit(state)
        snap.state = json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def _last_completed(state: dict) -> dict:
    done = [t for t in state["tasks"].values() if t["state"] == TaskState.COMPLETED and t.get("delta", {}).get(
        "updates")]
    return done[-1]


def _edit_value(state: dict) -> None:
    task = _last_completed(state)
    key = next(iter(task["delta"]["updates"]))
    task["delta"]["updates"][key] = "篡改"


def _edit_state(state: dict) -> None:
    _last_completed(state)["state"] = TaskState.CANCELLED


@pytest.mark.parametrize("edit", [_edit_value, _edit_state])
def test_an_edited_snapshot_is_caught_under_version_2(factory, services, at_monday, edit):
    case_no = approved(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        assert replay.verify_case(sess, _case(sess, case_no)).verified
    _edit_snapshot(factory, case_no, edit)
    with unit_of_work(factory) as sess:
        assert sess.get(CaseSnapshot, _case(sess, case_no).id).digest_version == 2
        result = replay.verify_case(sess, _case(sess, case_no))
    assert "快照内容与其登记的状态摘要不一致（快照被改动）" in result.problems


def _v1_hash(prev: str, case_no: str, ev: CaseEvent) -> str:
    """The chain hash as it was before digest versions existed."""
    body = history.canonical([prev, case_no, ev.seq, ev.kind, ev.task_spec, ev.task_id, ev.actor_id, ev.actor_name,
                              ev.at.isoformat(), ev.data, ev.state_digest])
    return hashlib.sha256(body.encode()).hexdigest()


def test_a_case_recorded_with_version_1_continues_under_version_2_and_verifies(factory, services, at_monday,
                                                                             monkeypatch):
    with monkeypatch.context() as old_code:  # the steps as the code before digest versions recorded them
        old_code.setattr(runtime, "DIGEST_VERSION", 1)
        case_no = start(factory, services)
        with unit_of_work(factory) as sess:
            engine.claim_task(sess, user(sess, "clerk-001"), open_task(factory, case_no).id)
    with unit_of_work(factory) as sess:  # a claim after the upgrade copies the snapshot's version 1 digest
        engine.unclaim_task(sess, user(sess, "clerk-001"), open_task(factory, case_no).id)
    do(factory, services, case_no, "clerk-001", f.accept())  # the first step after the upgrade: version 2
    with unit_of_work(factory) as sess:
        events = _events(sess, case_no)
        assert [(e.kind, e.digest_version) for e in events] == [
            ("application_submitted", 1), ("task_claimed", 1), ("task_unclaimed", 1), ("task_completed", 2)]
        assert sess.get(CaseSnapshot, _case(sess, case_no).id).digest_version == 2
        prev = ""
        for ev in events[:3]:  # version 1 events keep the hash the old rule gave them
            assert ev.hash == _v1_hash(prev, case_no, ev)
            prev = ev.hash
        assert events[3].hash != _v1_hash(prev, case_no, events[3])  # the version is chained from 2 on
        result = replay.verify_case(sess, _case(sess, case_no))
    assert result.verified and result.steps == 4, result.as_dict()


def test_a_version_1_case_still_verifies_when_compacted(factory, services, at_monday, monkeypatch):
    monkeypatch.setattr(runtime, "DIGEST_VERSION", 1)
    case_no = approved(factory, services, at_monday)
    monkeypatch.undo()
    with clock.frozen(at_monday + timedelta(days=120)):
        assert retention.compact(factory).compacted == 1  # its snapshot checked against its version 1 digest
    with unit_of_work(factory) as sess:
        case = _case(sess, case_no)
        assert {e.digest_version for e in _events(sess, case_no)} == {sess.get(CaseSnapshot, case.id).digest_version}
        assert {e.digest_version for e in _events(sess, case_no)} == {1}
        assert replay.verify_case(sess, case, services.render, services.store).verified


def test_a_changed_digest_version_breaks_the_chain_and_the_replay(factory, services, at_monday):
    case_no = start(factory, services)
    do(factory, services, case_no, "clerk-001", f.accept())
    with unit_of_work(factory) as sess:
        sess.execute(update(CaseEvent).where(CaseEvent.seq == 2).values(digest_version=1))
    with unit_of_work(factory) as sess:
        result = replay.verify_case(sess, _case(sess, case_no))
    assert "第 2 条事件：哈希链断裂" in result.problems
    assert result.divergence.seq == 2 and result.divergence.reason == "状态与登记的状态摘要不一致"


def _digest_by_the_stated_rule(wf) -> str:
    """Version 2 as ``dossier.DIGEST_RULES[2]`` words it, written from the text (json + hashlib only)."""
    tasks = wf.get_tasks()
    positions = {str(t.id): f"task#{i}" for i, t in enumerate(tasks)}

    def ids_as_positions(value):
        if isinstance(value, dict):
            return {k: ids_as_positions(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [ids_as_positions(v) for v in value]
        return positions.get(str(value), value)

    rows = []
    for t in tasks:
        parent = t.parent.data if t.parent is not None else None
        own = t.data if parent is None else {k: v for k, v in t.data.items() if k not in parent or parent[k] != v}
        lacks = [] if parent is None else sorted(k for k in parent if k not in t.data)
        rows.append([t.task_spec.name, TaskState.get_name(t.state), own, lacks, ids_as_positions(t.internal_data)])
    text = json.dumps(["dibao-state", 2, rows, wf.data], sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_rule_the_dossier_states_is_the_rule_the_code_uses(factory, extended):
    assert "differs from the parent task's" in dossier.DIGEST_RULES[2]
    with unit_of_work(factory) as sess:
        wf, snap = _restored(sess, extended)
    assert _digest_by_the_stated_rule(wf) == snap.digest
