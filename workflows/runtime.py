"""SpiffWorkflow instances: create, store as state-only JSON, restore, and fingerprint.

The spec is never written into a snapshot (it is stored once, by hash, in ``process_spec``);
restoring puts the cached, parsed spec objects back into the serializer's dictionary.
"""

import copy
import hashlib
import json
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from .specs import ProcessVersion

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(copy.deepcopy(SPIFF_CONFIG)))
_Encoder = create_encoder(SERIALIZER.registry)


def new_workflow(version: ProcessVersion, engine: PythonScriptEngine) -> BpmnWorkflow:
    """A fresh instance of a process version."""
    return BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=engine)


def dump_state(wf: BpmnWorkflow) -> str:
    """The instance state as compact JSON, without the spec."""
    dct = SERIALIZER.to_dict(wf)
    dct.pop("spec", None)
    dct.pop("subprocess_specs", None)
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


def state_digest(wf: BpmnWorkflow) -> str:
    """SHA-256 of the logical state: every task's spec, state, data and internal data in tree
    order, plus workflow data. Task ids (random) and bookkeeping times are left out on purpose —
    ids inside internal data (multi-instance bookkeeping) become tree positions — so a replay on
    the same recorded events and clock reaches the same digest."""
    all_tasks = wf.get_tasks()
    positions = {str(t.id): i for i, t in enumerate(all_tasks)}
    tasks = [
        [t.task_spec.name, TaskState.get_name(t.state), t.data, _without_ids(t.internal_data, positions)]
        for t in all_tasks
    ]
    payload = json.dumps([tasks, wf.data], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


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
