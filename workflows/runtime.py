"""SpiffWorkflow instances: create, store as state-only JSON, restore, and fingerprint.

The spec is never written into a snapshot (it is stored once, by hash, in ``process_spec``);
restoring puts the cached, parsed spec objects back into the serializer's dictionary.

The fingerprint (:func:`state_digest`) is versioned: every event and snapshot records the
``digest_version`` its digest was made with, and replay recomputes each one with that version.
New events use :data:`DIGEST_VERSION`. The rules are in ``docs/audit.md``.
"""

import copy
import functools
import hashlib
import json
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from .specs import ProcessVersion

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(copy.deepcopy(SPIFF_CONFIG)))
_Encoder = create_encoder(SERIALIZER.registry)


def new_workflow(version: ProcessVersion, engine: PythonScriptEngine) -> BpmnWorkflow:
    """A fresh instance of a process version."""
    return BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=engine)


# The serializer's converter of BpmnWorkflow (registered as partial(_obj_to_dict, typename, to_dict)):
# dump_state uses its parts, all but the spec's.
_TYPENAME = SERIALIZER.registry.typenames[BpmnWorkflow]
_WORKFLOW = SERIALIZER.registry.convert_to_dict[_TYPENAME].args[1].__self__


def dump_state(wf: BpmnWorkflow) -> str:
    """The instance state as compact JSON, without the spec.

    What ``SERIALIZER.to_dict`` gives less ``spec`` and ``subprocess_specs``, which are never converted
    (converting them only to drop them was most of this function's time, issue 7 P4).
    """
    dct = WorkflowConverter.to_dict(_WORKFLOW, wf)
    dct["subprocesses"] = _WORKFLOW.mapping_to_dict(wf.subprocesses)
    dct["bpmn_events"] = SERIALIZER.registry.convert(wf.bpmn_events)
    dct["typename"] = _TYPENAME
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return json.dumps(dct, cls=_Encoder, separators=(",", ":"), ensure_ascii=False)


def load_state(state: str, version: ProcessVersion, engine: PythonScriptEngine) -> BpmnWorkflow:
    """Restore an instance from :func:`dump_state` output on its pinned process version."""
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    dct["spec"] = version.spec
    dct["subprocess_specs"] = version.subprocess_specs
    wf = SERIALIZER.from_dict(dct)
    wf.script_engine = engine
    return wf


def _without_ids(value, positions: dict):
    """``value`` with task ids (random UUIDs) replaced by the task's position in tree order."""
    if isinstance(value, UUID | str) and str(value) in positions:
        return f"task#{positions[str(value)]}"
    if isinstance(value, dict):
        return {k: _without_ids(v, positions) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_ids(v, positions) for v in value]
    return value


#: The digest version new events and snapshots are recorded with (older ones keep theirs).
DIGEST_VERSION = 2
_state_name = functools.cache(TaskState.get_name)  # (SpiffWorkflow rebuilds a dict on every call)


def _digest_v1(wf: BpmnWorkflow) -> str:
    """Version 1: SHA-256 of the JSON of every task's spec, state, full data and internal data in tree
    order, plus workflow data (each task's data in full: the payload grows with tasks × data)."""
    all_tasks = wf.get_tasks()
    positions = {str(t.id): i for i, t in enumerate(all_tasks)}
    tasks = [
        [t.task_spec.name, _state_name(t.state), t.data, _without_ids(t.internal_data, positions)]
        for t in all_tasks
    ]
    payload = json.dumps([tasks, wf.data], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def tree_order(wf: BpmnWorkflow) -> list:
    """Every task of the instance, depth first from the root; the tasks of a subprocess come right
    after the task that runs it, before that task's children (the order of ``wf.get_tasks()``,
    walked directly rather than through SpiffWorkflow's filtering iterator)."""
    found, stack = [], [wf.task_tree]
    while stack:
        task = stack.pop()
        found.append(task)
        subprocess = wf.subprocesses.get(task.id)
        following = ([subprocess.task_tree] if subprocess is not None else []) + task.children
        stack.extend(reversed(following))
    return found


def _digest_v2(wf: BpmnWorkflow) -> str:
    """Version 2: the same logical state, each task's data written as what it changes from its parent's.

    A task's data is its parent's data with some keys set and some removed — the delta form the
    snapshot is stored in (SpiffWorkflow's task serializer, ``DeepMerge.get_updated_keys`` and
    ``get_deleted_keys``), so the data of every task follows from the rows in tree order: the
    fingerprint covers exactly what v1 covers, without writing the same data once per task.
    """
    all_tasks = tree_order(wf)
    positions = {str(t.id): i for i, t in enumerate(all_tasks)}
    rows = []
    for task in all_tasks:
        parent = task.parent
        if parent is None:  # the root of the process or of a subprocess: its data in full
            changed, removed = task.data, []
        else:
            changed = DeepMerge.get_updated_keys(parent.data, task.data)
            removed = sorted(DeepMerge.get_deleted_keys(parent.data, task.data))
        rows.append([task.task_spec.name, _state_name(task.state), changed, removed,
                     _without_ids(task.internal_data, positions)])
    payload = json.dumps(["dibao-state", 2, rows, wf.data], sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


_DIGESTS = {1: _digest_v1, 2: _digest_v2}


def state_digest(wf: BpmnWorkflow, version: int | None = None) -> str:
    """SHA-256 of the logical state: every task's spec, state, data and internal data in tree order,
    plus workflow data, by digest ``version`` (default :data:`DIGEST_VERSION`). Task ids (random) and
    bookkeeping times are left out on purpose — ids inside internal data (multi-instance bookkeeping)
    become tree positions — so a replay on the same recorded events and clock reaches the same digest.

    Raises:
        ValueError: an unknown version (a row claiming a digest rule this code does not have).
    """
    version = DIGEST_VERSION if version is None else version
    if version not in _DIGESTS:
        raise ValueError(f"unknown state digest version {version!r}")
    return _DIGESTS[version](wf)


def ready_human_tasks(wf: BpmnWorkflow) -> list:
    """READY user tasks, in tree order."""
    return wf.get_tasks(state=TaskState.READY, manual=True)


def task_properties(task_spec) -> dict:
    """The ``spiffworkflow:property`` values of a task spec."""
    return getattr(task_spec, "extensions", {}).get("properties", {})


def current_data(wf: BpmnWorkflow) -> dict:
    """The data of the case as it stands on its main path.

    The open user task's data; else the data of the step the case waits at (a receive task or
    timer marked with a ``caseStatus``); else, once ended, the data of the end event reached.
    Side branches (a fired escalation timer, a follow-up task with the ``escalation`` property)
    are never taken for the case's data.
    """
    ready = [t for t in ready_human_tasks(wf) if not task_properties(t.task_spec).get("escalation")]
    if ready:
        return ready[0].data
    for state in (TaskState.WAITING, TaskState.COMPLETED):
        marked = [t for t in wf.get_tasks(state=state) if task_properties(t.task_spec).get("caseStatus")]
        if marked:
            return marked[0 if state == TaskState.WAITING else -1].data
    return wf.last_task.data if wf.last_task is not None else wf.data


def case_status(wf: BpmnWorkflow) -> str | None:
    """The ``caseStatus`` property of the open step, or of the end event reached."""
    for state in (TaskState.READY | TaskState.WAITING, TaskState.COMPLETED):
        found = [
            getattr(t.task_spec, "extensions", {}).get("properties", {}).get("caseStatus")
            for t in wf.get_tasks(state=state)
        ]
        found = [s for s in found if s]
        if found:
            return found[-1] if state == TaskState.COMPLETED else found[0]
    return None
