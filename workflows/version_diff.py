"""Compare two versions of a process and move a running workflow from one to the other.

Built on SpiffWorkflow's ``bpmn.util.diff``: specs are aligned by BPMN id, a changed spec is one whose
serialized form differs, and ``migrate_workflow`` points every task at its new spec and re-predicts
the open branches (READY and WAITING tasks are reset in place, so they keep their ids).

A workflow may move only where that is safe: no step it has finished (completed, cancelled, failed,
or started and not finished) was changed or removed, no step it waits at was removed, and no form
of a finished step changed. :func:`move` is deterministic for a given clock, so replay repeats a
recorded migration and reaches the same state digest.
"""

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from . import runtime
from .specs import ProcessVersion

MIGRATED = "migrated"  # the event kind of a move (workflows.upgrades), repeated by replay
REGISTRY = runtime.SERIALIZER.registry
FINISHED = TaskState.FINISHED_MASK | TaskState.STARTED
OPEN = TaskState.READY | TaskState.WAITING


@dataclass
class Changes:
    """What differs between two versions of one process, by BPMN id (of the step a helper spec belongs to)."""

    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)  # forms added, changed or removed

    @property
    def empty(self) -> bool:
        """True when the versions run the same steps with the same forms."""
        return not (self.changed or self.added or self.removed or self.forms)

    def as_dict(self) -> dict:
        """JSON-friendly (recorded in the ``migrated`` event)."""
        return {"changed": self.changed, "added": self.added, "removed": self.removed, "forms": self.forms}


def _owner(spec):
    """The spec of the BPMN element a task spec stands for (``accept.BoundaryEventSplit`` → ``accept``)."""
    if spec.bpmn_id:
        return spec
    owner = spec._wf_spec.task_specs.get(spec.name.split(".")[0])
    return owner if owner is not None and owner.bpmn_id else spec


def _names(specs_) -> list[str]:
    return sorted({_owner(s).bpmn_id or s.name for s in specs_})


def _forms(old: ProcessVersion, new: ProcessVersion) -> list[str]:
    prefix = f"forms/{old.process_id}/"
    keys = {k for k in (*old.sources, *new.sources) if k.startswith(prefix)}
    return sorted(k[len(prefix):-len(".json")] for k in keys if old.sources.get(k) != new.sources.get(k))


_spec_diffs: dict[tuple[str, str], tuple] = {}


def _diffs(old: ProcessVersion, new: ProcessVersion) -> tuple:
    """SpiffWorkflow's spec diffs of two versions (the process's and each subprocess's), computed once per pair."""
    key = (old.hash, new.hash)
    if key not in _spec_diffs:
        subs = {name: SpecDiff(REGISTRY, spec, new.subprocess_specs[name]) if name in new.subprocess_specs else None
                for name, spec in old.subprocess_specs.items()}
        _spec_diffs[key] = (SpecDiff(REGISTRY, old.spec, new.spec), subs)
    return _spec_diffs[key]


def changes(old: ProcessVersion, new: ProcessVersion) -> Changes:
    """The steps changed, added and removed (the process and its subprocesses) and the forms that differ."""
    top, subs = _diffs(old, new)
    changed, added, removed = set(), set(), set()
    for name, diff in [("", top), *subs.items()]:
        if diff is None:
            removed.update(_names(old.subprocess_specs[name].task_specs.values()))
            continue
        changed.update(_names(diff.changed))
        added.update(_names(diff.added))
        removed.update(_names(diff.removed))
    for name, spec in new.subprocess_specs.items():
        if name not in old.subprocess_specs:
            added.update(_names(spec.task_specs.values()))
    return Changes(sorted(changed), sorted(added - changed), sorted(removed - changed), _forms(old, new))


def _title(spec) -> str:
    """「name」 of a step; a boundary event is named with the step it is attached to (「入户调查」的「逾期督办」)."""
    owner = _owner(spec)
    title = f"「{owner.bpmn_name or owner.bpmn_id or owner.name}」"
    split = next((s for s in owner.inputs if s.name.endswith(".BoundaryEventSplit")), None)
    host = split and owner._wf_spec.task_specs.get(split.name.split(".")[0])
    return f"「{host.bpmn_name or host.bpmn_id}」的{title}" if host and host is not owner else title


def _task_reasons(diff) -> list[str]:
    reasons = []
    for task in diff.removed:
        if task.state & FINISHED:
            reasons.append(f"已办结的环节{_title(task.task_spec)}在新版本中已删除")
        elif task.state & OPEN:
            reasons.append(f"正在办理的环节{_title(task.task_spec)}在新版本中已删除")
    for task in diff.changed:
        if task.state & FINISHED:
            reasons.append(f"已办结的环节{_title(task.task_spec)}在新版本中已修改")
    return reasons


def _form_reasons(wf: BpmnWorkflow, forms: list[str]) -> list[str]:
    done = {t.task_spec.bpmn_id: t.task_spec for t in wf.get_tasks(state=TaskState.COMPLETED)}
    return [f"已办结的环节{_title(done[form])}的表单在新版本中已修改" for form in forms if form in done]


def diff_workflow(wf: BpmnWorkflow, old: ProcessVersion, new: ProcessVersion) -> tuple:
    """SpiffWorkflow's ``diff_workflow`` on cached spec diffs: the workflow's diff, each subprocess's (or None)."""
    top, subs = _diffs(old, new)
    found = {}
    for sp_id, sub in wf.subprocesses.items():
        spec_diff = subs.get(sub.spec.name)
        found[sp_id] = WorkflowDiff(sub, spec_diff) if spec_diff is not None else None
    return WorkflowDiff(wf, top), found


def blockers(wf: BpmnWorkflow, old: ProcessVersion, new: ProcessVersion) -> list[str]:
    """Why ``wf`` (on ``old``) cannot move to ``new``, in Chinese; empty when it can."""
    if wf.is_completed():
        return ["案件流程已结束"]
    top, subs = diff_workflow(wf, old, new)
    reasons = _task_reasons(top)
    for sp_id, diff in subs.items():
        if diff is None:
            reasons.append(f"子流程{_title(wf.get_task_from_id(sp_id).task_spec)}在新版本中已删除")
        else:
            reasons += _task_reasons(diff)
    reasons += _form_reasons(wf, _forms(old, new))
    return list(dict.fromkeys(reasons))


def _deadlines(wf: BpmnWorkflow, diffs: list) -> dict:
    """Deadlines already set on waiting timers whose definition did not change (kept across the move)."""
    changed = {t.id for d in diffs for t in d.changed}
    return {t.id: t.internal_data["event_value"] for t in wf.get_tasks(state=TaskState.WAITING)
            if t.id not in changed and "event_value" in t.internal_data}


def move(wf: BpmnWorkflow, old: ProcessVersion, new: ProcessVersion) -> list[str]:
    """Move ``wf`` from ``old`` onto ``new`` in place and run the engine forward (with its script engine).

    Open steps whose definition changed start again on the new one (a changed due timer is set from
    now); timers of unchanged steps keep their deadlines.

    Returns:
        The titles of the open steps that started again.
    """
    top, subs = diff_workflow(wf, old, new)
    kept = _deadlines(wf, [top, *[d for d in subs.values() if d is not None]])
    restarted = sorted({_title(t.task_spec) for d in [top, *subs.values()] if d for t in d.changed if t.state & OPEN})
    migrate_workflow(top, wf, new.spec)
    for sp_id, diff in subs.items():
        sub = wf.subprocesses[sp_id]
        migrate_workflow(diff, sub, new.subprocess_specs[sub.spec.name])
    wf.subprocess_specs = new.subprocess_specs
    for task in wf.get_tasks(state=TaskState.WAITING):
        if task.id in kept:
            task.internal_data["event_value"] = kept[task.id]
    wf.do_engine_steps()
    return restarted


def check_moved(wf: BpmnWorkflow, new: ProcessVersion, done_before: set) -> list[str]:
    """Problems with a workflow just moved by :func:`move`; empty when it is sound on ``new``."""
    problems = []
    for task in wf.get_tasks():
        if task.workflow.spec.task_specs.get(task.task_spec.name) is not task.task_spec:
            problems.append(f"环节{_title(task.task_spec)}在新版本中没有对应的定义")
        elif task.state == TaskState.COMPLETED and task.id not in done_before and task.task_spec.bpmn_id:
            problems.append(f"迁移会直接执行环节{_title(task.task_spec)}")
    for task in runtime.ready_human_tasks(wf):
        if f"forms/{new.process_id}/{task.task_spec.bpmn_id}.json" not in new.sources:
            problems.append(f"新版本中环节{_title(task.task_spec)}没有表单")
    if not problems:
        try:
            runtime.load_state(runtime.dump_state(wf), new, wf.script_engine)
        except Exception as err:  # noqa: BLE001 - any failure to restore means the moved state is unusable
            problems.append(f"迁移后的流程状态无法在新版本上恢复：{err}")
    return list(dict.fromkeys(problems))
