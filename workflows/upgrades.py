"""Process upgrades: an administrator loads a new version of a process; new cases start on it; running
cases move to it in batch where that is safe, each in one recorded step.

:func:`load_version` registers the version (parsed and checked first) on top of the one in force, so
new cases use it (``specs.current_version``). :func:`plan` is the dry run: for every running case on
another version it tries the move in memory and says whether the case can move, and why not, in
Chinese; nothing is written. :func:`migrate` moves the movable cases, one transaction per case: the
workflow is moved (``version_diff.move``), the snapshot saved, the case pointed at the new version,
a ``migrated`` event appended (old and new version, what changed) and the read models refreshed.
Replay repeats the move at that event, so a moved case still verifies.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from . import clock, process_versions, readmodels, runtime, specs, version_diff
from .errors import DomainError, Forbidden, Invalid, NotFound
from .history import append_event
from .script_env import StepContext, script_engine
from .store import ACTIVE_STATUSES, Case, CaseSnapshot, HumanTask, ProcessSpec, User, unit_of_work, utcnow

MIGRATED = version_diff.MIGRATED
log = logging.getLogger(__name__)


def _check_admin(actor: User | None) -> None:
    if actor is not None and actor.role != "admin":
        raise Forbidden("只有系统管理员可以载入流程版本和迁移案件", "Only administrators load process versions")


# -- loading a version ------------------------------------------------------------------------------


@dataclass
class Loaded:
    """A version just registered, the version it replaces for new cases, and what differs."""

    version: specs.ProcessVersion
    replaces: str
    changes: version_diff.Changes


def _text(name: str, content: str | bytes) -> str:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"文件 {name} 不是 UTF-8 编码的文本", f"{name} is not UTF-8 text") from None


def _key(name: str, single_bpmn: str | None) -> str:
    """Where a given file goes in a version's sources: ``x.bpmn``, ``x.dmn`` or ``forms/<process>/<task>.json``."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.suffix in (".bpmn", ".dmn"):
        return path.name
    if path.suffix != ".json":
        raise Invalid(f"不支持的文件：{path.name}（只接受 .bpmn、.dmn 和表单 .json）", f"Unsupported file {path.name}")
    if len(path.parts) >= 2 and path.parts[-2] != "forms":
        return f"forms/{path.parts[-2]}/{path.name}"
    if single_bpmn:
        return f"forms/{single_bpmn}/{path.name}"
    raise Invalid(f"表单 {path.name} 属于哪个流程不明确：请放在以流程编号命名的文件夹中"
                  "（如 dibao_application/accept.json）", f"Put form {path.name} in a folder named after its process")


def _normalise(files: dict[str, str | bytes]) -> dict[str, str]:
    if not files:
        raise Invalid("请选择要载入的流程文件（.bpmn、.dmn）", "No files given")
    bpmn = [PurePosixPath(n.replace("\\", "/")).stem for n in files if n.endswith(".bpmn")]
    single = bpmn[0] if len(bpmn) == 1 else None
    return {_key(name, single): _text(name, content) for name, content in files.items()}


def _affected(session: Session, given: dict[str, str]) -> list[str]:
    known = process_versions.known_processes(session)
    named = {k[:-len(".bpmn")] for k in given if k.endswith(".bpmn")} | {k.split("/")[1] for k in given
                                                                          if k.startswith("forms/")}
    unknown = sorted(named - set(known))
    if unknown:
        raise Invalid(f"未知的流程：{'、'.join(unknown)}（只能载入已有流程的新版本）", f"Unknown processes {unknown}")
    return known if any(k.endswith(".dmn") for k in given) else sorted(named)  # a DMN table is in every version


def _parse(process_id: str, sources: dict[str, str]) -> specs.ProcessVersion:
    try:
        version = specs.parse(process_id, sources)
        user_tasks = [s.bpmn_id for s in version.spec.task_specs.values() if type(s).__name__ == "UserTask"]
        for form_id in ["start", *user_tasks]:
            version.form(form_id)
    except NotFound as err:
        raise Invalid(f"流程 {process_id} 的新版本缺少表单：{err.message_zh}", str(err)) from None
    except Exception as err:  # noqa: BLE001 - a file that does not parse is refused with the parser's words
        raise Invalid(f"流程 {process_id} 的文件无法解析：{err}", f"{process_id} does not parse: {err}") from None
    return version


def _register(session: Session, version: specs.ProcessVersion, base: str, actor: User | None) -> None:
    latest = session.scalars(select(func.max(ProcessSpec.created_at))
                             .where(ProcessSpec.process_id == version.process_id)).first()
    at = utcnow() if latest is None else max(utcnow(), latest + timedelta(microseconds=1))
    session.add(ProcessSpec(hash=version.hash, process_id=version.process_id, sources=json.dumps(version.sources),
                            based_on=base, loaded_by=actor.display_name if actor else "命令行", created_at=at))


def load_version(session: Session, files: dict[str, str | bytes], actor: User | None = None) -> list[Loaded]:
    """Register new versions from given BPMN, DMN and form files; new cases start on them from now on.

    Each file replaces the one of the same name in the version in force; a DMN table is part of every
    process's version. A process whose steps, decision tables and forms stay the same is left alone.

    Args:
        files: file name → content; forms as ``<process>/<task>.json`` (or ``<task>.json`` beside one BPMN).
        actor: the administrator (None: an operator on the command line).

    Raises:
        Invalid: a file does not parse, a user task has no form, an unknown process, or nothing changes.
    """
    _check_admin(actor)
    given = _normalise(files)
    loaded = []
    for process_id in _affected(session, given):
        current = specs.current_version(session, process_id)
        own = {k: v for k, v in given.items()
               if k.endswith(".dmn") or k == f"{process_id}.bpmn" or k.startswith(f"forms/{process_id}/")}
        sources = {**current.sources, **own}
        if specs.content_hash(sources) == current.hash:
            continue
        version = _parse(process_id, sources)
        changes = version_diff.changes(current, version)
        if changes.empty:
            continue
        if session.get(ProcessSpec, version.hash) is not None:
            raise Invalid(f"流程 {process_id} 的这一版本（{version.hash[:12]}）已经登记过，不能再次载入",
                          f"Version {version.hash[:12]} of {process_id} was loaded before")
        _register(session, version, current.hash, actor)
        loaded.append(Loaded(version, current.hash, changes))
    if not loaded:
        raise Invalid("载入的文件与现行版本相比，流程环节、决策表和表单都没有改变", "The files change nothing")
    session.flush()
    return loaded


# -- the dry run ------------------------------------------------------------------------------------


@dataclass
class CasePlan:
    """One running case: can it move to the target version, why not, and what moving does."""

    case_id: int
    case_no: str
    township_code: str
    status: str
    from_hash: str
    reasons: list[str] = field(default_factory=list)  # why it cannot move (empty: it can)
    restarted: list[str] = field(default_factory=list)  # open steps that start again on the new definition

    @property
    def movable(self) -> bool:
        """True when the case can move."""
        return not self.reasons


@dataclass
class Plan:
    """The running cases of a process that are not on ``target``, each with its verdict."""

    process_id: str
    target: str
    cases: list[CasePlan] = field(default_factory=list)

    @property
    def movable(self) -> list[CasePlan]:
        """The cases that can move."""
        return [c for c in self.cases if c.movable]

    @property
    def blocked(self) -> list[CasePlan]:
        """The cases that stay on their version."""
        return [c for c in self.cases if not c.movable]


def _workflow(session: Session, case: Case):
    """The case's version and workflow, with the script engine a step on it would have now."""
    old = specs.version_by_hash(session, case.spec_hash)
    wf = runtime.load_state(session.get(CaseSnapshot, case.id).state, old,
                            script_engine(StepContext(session, case.township_code, clock.today())))
    area = runtime.current_data(wf).get("township_code", case.township_code)  # as replay picks it
    wf.script_engine = script_engine(StepContext(session, area, clock.today()))
    return old, wf


def _try(session: Session, case: Case, new: specs.ProcessVersion) -> tuple[CasePlan, object]:
    """Move the case's workflow onto ``new`` in memory; the verdict and the moved workflow."""
    old, wf = _workflow(session, case)
    row = CasePlan(case.id, case.case_no, case.township_code, case.status, case.spec_hash)
    row.reasons = version_diff.blockers(wf, old, new)
    if row.movable:
        done_before = {t.id for t in wf.get_tasks(state=TaskState.COMPLETED)}
        row.restarted = version_diff.move(wf, old, new)
        row.reasons = version_diff.check_moved(wf, new, done_before)
    return row, wf


def _target(session: Session, process_id: str, target_version) -> specs.ProcessVersion:
    if target_version is None:
        return specs.current_version(session, process_id)
    digest = getattr(target_version, "hash", target_version)
    version = specs.version_by_hash(session, digest)
    if version.process_id != process_id:
        raise Invalid(f"版本 {digest[:12]} 不属于流程 {process_id}", f"{digest[:12]} is not a version of {process_id}")
    return version


def plan(session: Session, process_id: str, target_version=None) -> Plan:
    """The dry run: which running cases of ``process_id`` would move to ``target_version`` and which not.

    Args:
        target_version: a version or its hash; None for the version new cases start on.
    """
    new = _target(session, process_id, target_version)
    result = Plan(process_id, new.hash)
    query = (select(Case).where(Case.process_id == process_id, Case.status.in_(ACTIVE_STATUSES),
                                Case.spec_hash != new.hash).order_by(Case.case_no))
    with clock.frozen(clock.now()):
        for case in session.scalars(query):
            result.cases.append(_try(session, case, new)[0])
    return result


# -- migrating --------------------------------------------------------------------------------------


def migrate_case(session: Session, actor: User, case_id: int, target: str) -> CasePlan:
    """One step: move one case to ``target`` if it can move now (checked again), recorded in its history."""
    _check_admin(actor)
    case = session.scalars(select(Case).where(Case.id == case_id).with_for_update()).first()
    if case is None:
        raise NotFound("未找到该案件", "No such case")
    new = specs.version_by_hash(session, target)
    with clock.frozen(clock.now()) as at:
        if case.spec_hash == target:
            return CasePlan(case.id, case.case_no, case.township_code, case.status, case.spec_hash,
                            ["案件已在该版本上"])
        row, wf = _try(session, case, new)
        if not row.movable:
            return row
        old = specs.version_by_hash(session, case.spec_hash)
        digest = runtime.state_digest(wf)
        snap = session.get(CaseSnapshot, case.id)
        snap.state, snap.digest, snap.serializer_version = runtime.dump_state(wf), digest, runtime.SERIALIZER.VERSION
        snap.digest_version = runtime.DIGEST_VERSION
        case.spec_hash = new.hash
        data = {"from": old.hash, "to": new.hash, "changes": version_diff.changes(old, new).as_dict(),
                "restarted": row.restarted}
        append_event(session, case, MIGRATED, at=at, actor=actor, data=data, state_digest=digest)
        readmodels.refresh_all(session, case, wf, at)
        _retitle(session, case, new)
        session.flush()
    return row


def _retitle(session: Session, case: Case, new: specs.ProcessVersion) -> None:
    """Open tasks keep their rows (and claims) across a move; their title and lane follow the new definition."""
    for row in session.scalars(select(HumanTask).where(HumanTask.case_id == case.id)):
        spec = new.task_spec(row.task_spec)
        row.title, row.role = spec.bpmn_name or spec.bpmn_id, spec.lane or ""


def migrate(session_factory: sessionmaker[Session], plan_: Plan, actor: User) -> list[CasePlan]:
    """Move the plan's movable cases, one transaction per case (a case that fails is reported, not fatal).

    Returns:
        One verdict per case tried: moved (no reasons) or why it stayed.
    """
    _check_admin(actor)
    done = []
    for row in plan_.movable:
        try:
            with unit_of_work(session_factory) as session:
                done.append(migrate_case(session, session.get(User, actor.id), row.case_id, plan_.target))
        except (DomainError, SQLAlchemyError) as err:  # the case moved on meanwhile, or another step won
            log.warning("migrating case %s failed: %s", row.case_no, err)
            reason = err.message_zh if isinstance(err, DomainError) else "案件正在办理中，请稍后重试"
            done.append(CasePlan(row.case_id, row.case_no, row.township_code, row.status, row.from_hash, [reason]))
    return done
