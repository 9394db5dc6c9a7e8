"""Process definitions: parse `bpmn/` once, version by content hash, keep every version.

A version is the SHA-256 of a process's BPMN file plus every DMN file beside it. It is stored in
``process_spec`` the first time it is used, and a case keeps the hash it started on, so a changed
diagram or decision table applies to new cases only and old cases can still be replayed.
"""

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy.orm import Session

from .errors import NotFound
from .store import ProcessSpec

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"


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


_cache: dict[str, ProcessVersion] = {}
_lock = threading.Lock()


def content_hash(sources: dict[str, str]) -> str:
    """SHA-256 over the file names and texts, in name order."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    return digest.hexdigest()


def read_sources(process_id: str, bpmn_dir: Path | None = None) -> dict[str, str]:
    """The BPMN file named after the process plus every DMN table in the same folder."""
    folder = bpmn_dir or BPMN_DIR
    bpmn = folder / f"{process_id}.bpmn"
    if not bpmn.exists():
        raise NotFound(f"没有流程定义 {process_id}", f"No process definition {process_id}")
    files = [bpmn, *sorted(folder.glob("*.dmn"))]
    return {f.name: f.read_text(encoding="utf-8") for f in files}


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
        else:
            parser.add_bpmn_str(text.encode(), filename=name)
    version = ProcessVersion(
        hash=digest,
        process_id=process_id,
        spec=parser.get_spec(process_id),
        subprocess_specs=parser.get_subprocess_specs(process_id),
        sources=dict(sources),
    )
    with _lock:
        _cache.setdefault(digest, version)
    return _cache[digest]


def current_version(session: Session, process_id: str, bpmn_dir: Path | None = None) -> ProcessVersion:
    """The version new cases start on (the files in `bpmn/`), registered in the database."""
    version = parse(process_id, read_sources(process_id, bpmn_dir))
    if session.get(ProcessSpec, version.hash) is None:
        session.add(ProcessSpec(hash=version.hash, process_id=process_id, sources=json.dumps(version.sources)))
        session.flush()
    return version


def version_by_hash(session: Session, digest: str) -> ProcessVersion:
    """A stored version, from the cache or re-parsed from the database."""
    cached = _cache.get(digest)
    if cached:
        return cached
    row = session.get(ProcessSpec, digest)
    if row is None:
        raise NotFound(f"流程版本 {digest[:12]} 不存在", f"Process version {digest[:12]} is missing")
    return parse(row.process_id, json.loads(row.sources))
