"""Process definitions: parse `bpmn/` once, version by content hash, keep every version.

A version is the SHA-256 of a process's BPMN file, every DMN file beside it and the process's
forms (`forms/<process>/*.json`: what a step asks and accepts is part of the procedure). It is stored in
``process_spec`` the first time it is used, and a case keeps the hash it started on, so a changed
diagram or decision table applies to new cases only and old cases can still be replayed.
"""

import hashlib
import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .forms import Form, form_from_dict
from .store import ProcessSpec

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"


@dataclass(frozen=True)
class ProcessVersion:
    """A parsed, immutable process version."""

    hash: str
    process_id: str
    spec: object
    subprocess_specs: dict
    sources: dict = field(repr=False)

    def task_spec(self, bpmn_id: str):
        """The task spec with this BPMN id."""
        return self.spec.task_specs[bpmn_id]

    def form(self, form_id: str) -> Form:
        """The form of a user task (or ``start``) as it was in this version."""
        key = f"forms/{self.process_id}/{form_id}.json"
        if key not in self.sources:
            raise NotFound(f"没有表单 {form_id}", f"No form {form_id} in this process version")
        return _form(self.hash, key, self.sources[key])


_cache: dict[str, ProcessVersion] = {}
_lock = threading.Lock()


def content_hash(sources: dict[str, str]) -> str:
    """SHA-256 over the file names and texts, in name order."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    return digest.hexdigest()


def read_sources(process_id: str, bpmn_dir: Path | None = None, forms_dir: Path | None = None) -> dict[str, str]:
    """The BPMN file named after the process, every DMN table beside it, and the process's forms."""
    folder = bpmn_dir or BPMN_DIR
    bpmn = folder / f"{process_id}.bpmn"
    if not bpmn.exists():
        raise NotFound(f"没有流程定义 {process_id}", f"No process definition {process_id}")
    sources = {f.name: f.read_text(encoding="utf-8") for f in [bpmn, *sorted(folder.glob("*.dmn"))]}
    for form in sorted(((forms_dir or FORMS_DIR) / process_id).glob("*.json")):
        sources[f"forms/{process_id}/{form.name}"] = form.read_text(encoding="utf-8")
    return sources


@lru_cache(maxsize=512)
def _form(_version_hash: str, _key: str, text: str) -> Form:
    return form_from_dict(json.loads(text))


def parse(process_id: str, sources: dict[str, str]) -> ProcessVersion:
    """Parse (with schema validation) or return the cached version for these sources."""
    digest = content_hash(sources)
    cached = _cache.get(digest)
    if cached:
        return cached
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for name, text in sorted(sources.items()):
        if name.endswith(".dmn"):
            parser.add_dmn_str(text.encode(), filename=name)
        elif name.endswith(".bpmn"):
            parser.add_bpmn_str(text.encode(), filename=name)
    spec = parser.get_spec(process_id)
    _connect_event_subprocesses(spec)
    version = ProcessVersion(
        hash=digest,
        process_id=process_id,
        spec=spec,
        subprocess_specs=parser.get_subprocess_specs(process_id),
        sources=dict(sources),
    )
    with _lock:
        _cache.setdefault(digest, version)
    return _cache[digest]


def _connect_event_subprocesses(spec) -> None:
    """Wire message-started event subprocesses into the spec once, at parse time.

    SpiffWorkflow 3.2 connects such a subprocess to the process start the first time one is
    triggered (``BpmnStartTask.trigger_wf``), which changes the shared, cached spec: instances
    created afterwards would then differ from instances created before, and a replay would not
    reach the recorded state. Connecting them up front makes every instance see the same spec.
    """
    start = spec.start
    for name in getattr(start, "trigger_specs", []):
        sub = spec.task_specs.get(name)
        if sub is not None and start not in sub.inputs:
            start.connect(sub)
            sub.connect(spec.end)


def current_version(session: Session, process_id: str, bpmn_dir: Path | None = None) -> ProcessVersion:
    """The version new cases start on, registered in the database.

    That is the deployed files in `bpmn/`, unless an administrator loaded a version on top of them
    (``workflows.upgrades``): then the newest version loaded on top of that one, and so on. Deploying
    other files starts from those files (and what was loaded on top of them) instead.
    """
    version = parse(process_id, read_sources(process_id, bpmn_dir))
    if session.get(ProcessSpec, version.hash) is None:
        session.add(ProcessSpec(hash=version.hash, process_id=process_id, sources=json.dumps(version.sources)))
        session.flush()
    digest = in_force(session, version.hash)
    return version if digest == version.hash else version_by_hash(session, digest)


def in_force(session: Session, digest: str) -> str:
    """The version that replaces ``digest`` for new cases: the newest loaded on top of it, followed to the end."""
    seen = {digest}
    while True:
        newer = session.scalars(
            select(ProcessSpec.hash).where(ProcessSpec.based_on == digest)
            .order_by(ProcessSpec.created_at.desc(), ProcessSpec.hash).limit(1)
        ).first()
        if newer is None or newer in seen:
            return digest
        seen.add(newer)
        digest = newer


def version_by_hash(session: Session, digest: str) -> ProcessVersion:
    """A stored version, from the cache or re-parsed from the database."""
    cached = _cache.get(digest)
    if cached:
        return cached
    row = session.get(ProcessSpec, digest)
    if row is None:
        raise NotFound(f"流程版本 {digest[:12]} 不存在", f"Process version {digest[:12]} is missing")
    return parse(row.process_id, json.loads(row.sources))
