"""The audit dossier of one case: everything an auditor needs to prove what happened, in one archive.

The archive holds machine-checkable files (the raw hash-chained events, the replay verdict, the
process sources the case is pinned to, every issued PDF, the anchors that cover the case) plus
what the web layer adds for people (a PDF report, an offline diagram page). ``manifest.json`` lists
the SHA-256 of every file, so a copy handed to an inspector can itself be checked.
"""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import attachments, clock, history, replay, specs
from .documents import DocumentIntegrityError
from .history import canonical
from .replay import ReplayResult, StepView
from .store import Case, CaseAttachment, ChainAnchor, Document

#: How the chain hash of an event is computed, for anyone re-checking ``events.json`` by hand (docs/audit.md).
CHAIN_RULE = (
    "hash = SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of "
    "[prev_hash, case_no, seq, kind, task_spec, task_id, actor_id, actor_name, at (ISO 8601), data, state_digest], "
    "with digest_version appended as a twelfth element when it is not 1; "
    "the first event's prev_hash is the empty string; an anchor's root = SHA-256 of its heads text."
)
#: How ``state_digest`` is made, by ``digest_version`` (recomputing it needs the workflow engine: replay does).
DIGEST_RULES = {
    1: "SHA-256 of the JSON (sorted keys, separators ', ' and ': ', UTF-8, values JSON cannot hold as text) of "
       "[tasks, workflow data], tasks in tree order, each [task spec name, state name, its data in full, internal "
       "data with task ids written task#<tree position>]",
    2: "SHA-256 of the JSON (sorted keys, no spaces, UTF-8, values JSON cannot hold as text) of "
       "[\"dibao-state\", 2, tasks, workflow data], tasks in tree order, each [task spec name, state name, the data "
       "keys whose value differs from the parent task's (the root's: all), the sorted keys the parent has and the "
       "task lacks, internal data with task ids written task#<tree position>]",
}


@dataclass
class AnchorCover:
    """An anchor that covers the case: its root, and whether the case's event at the anchored seq still matches."""

    anchor_id: int
    at: datetime
    root: str
    seq: int
    head: str
    matches: bool


@dataclass
class Dossier:
    """What was collected about one case (the web layer renders the human-readable parts)."""

    case: Case
    generated_at: datetime
    verification: ReplayResult
    events: list[dict]
    steps: list[StepView]
    documents: list[tuple[Document, bytes]]
    sources: dict[str, str]
    scans: list[tuple[CaseAttachment, bytes]] = field(default_factory=list)  # 材料扫描件, as uploaded
    anchors: list[AnchorCover] = field(default_factory=list)


def _event_row(ev) -> dict:
    return {"seq": ev.seq, "kind": ev.kind, "task_spec": ev.task_spec, "task_id": ev.task_id,
            "actor_id": ev.actor_id, "actor_name": ev.actor_name, "at": ev.at.isoformat(),
            "data": ev.data, "state_digest": ev.state_digest, "digest_version": ev.digest_version,
            "prev_hash": ev.prev_hash, "hash": ev.hash}


def _documents(session: Session, case: Case, events: list, store) -> list[tuple[Document, bytes]]:
    """Every PDF the case's history says was issued for it (a township's 公示 list included)."""
    numbers = [json.loads(ev.data)["number"] for ev in events if ev.kind == "document_issued"]
    docs = {d.number: d for d in session.scalars(select(Document).where(Document.number.in_(numbers)))} \
        if numbers else {}
    return [(docs[n], store.get(docs[n].sha256)) for n in dict.fromkeys(numbers) if n in docs]


def _scans(session: Session, case: Case, store) -> list[tuple[CaseAttachment, bytes]]:
    """The case's attached scans; one whose file is missing or changed is left out (the verdict names it)."""
    found = []
    for row in attachments.of_case(session, case):
        try:
            found.append((row, attachments.content_of(store, row)))
        except DocumentIntegrityError:
            continue
    return found


def anchors_covering(session: Session, case: Case, limit: int = 5) -> list[AnchorCover]:
    """The latest anchors whose heads include the case, newest first, each checked against the chain."""
    query = (select(ChainAnchor).where(ChainAnchor.heads.contains(f'"{case.case_no}"'))
             .order_by(ChainAnchor.at.desc()).limit(limit))
    hashes = {ev.seq: ev.hash for ev in history.events_of(session, case)}
    covers = []
    for anchor in session.scalars(query):
        for case_no, seq, head in json.loads(anchor.heads):
            if case_no == case.case_no:
                covers.append(AnchorCover(anchor.id, anchor.at, anchor.root, seq, head, hashes.get(seq) == head))
                break
    return covers


def collect(session: Session, case: Case, render, store) -> Dossier:
    """Replay-verify the case and gather its events, path, documents, process sources and anchors."""
    events = history.events_of(session, case)
    version = specs.version_by_hash(session, case.spec_hash)
    return Dossier(
        case=case, generated_at=clock.now(),
        verification=replay.verify_case(session, case, render, store),
        events=[_event_row(ev) for ev in events],
        steps=replay.trace(session, case),
        documents=_documents(session, case, events, store),
        sources=dict(version.sources),
        anchors=anchors_covering(session, case),
        scans=_scans(session, case, store),
    )


def scan_path(row: CaseAttachment) -> str:
    """Where an attached scan sits in the archive (by id and the type detected on upload, never the user's name)."""
    return f"attachments/{row.id}-{row.material}{attachments.TYPES.get(row.content_type, '.bin')}"


def machine_files(dossier: Dossier) -> dict[str, bytes]:
    """The machine-checkable files of the archive (paths inside the zip → bytes)."""
    def as_json(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, indent=1, default=str).encode()

    case = dossier.case
    files = {
        "events.json": as_json({"case_no": case.case_no, "chain_rule": CHAIN_RULE,
                                "digest_rules": {str(v): DIGEST_RULES[v] for v in sorted(
                                    {ev["digest_version"] for ev in dossier.events})},
                                "events": dossier.events}),
        "verification.json": as_json(dossier.verification.as_dict()),
        "path.json": as_json([vars(s) for s in dossier.steps]),
        "anchors.json": as_json([vars(a) for a in dossier.anchors]),
    }
    files.update({f"process/{name}": text.encode() for name, text in sorted(dossier.sources.items())})
    files.update({f"documents/{doc.number}.pdf": pdf for doc, pdf in dossier.documents})
    files.update({scan_path(row): content for row, content in dossier.scans})
    return files


def pack(dossier: Dossier, files: dict[str, bytes], generated_by: str) -> bytes:
    """Zip the files with a manifest of their SHA-256 (entries dated at generation, in a fixed order)."""
    manifest = {
        "case_no": dossier.case.case_no, "spec_hash": dossier.case.spec_hash,
        "chain_head": {"seq": dossier.case.last_event_seq, "hash": dossier.case.last_event_hash},
        "verified": dossier.verification.verified,
        "generated_at": dossier.generated_at.isoformat(), "generated_by": generated_by,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    stamp = dossier.generated_at.astimezone(clock.CHINA_TZ).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*sorted(files.items()), ("manifest.json", canonical(manifest).encode())]:
            archive.writestr(zipfile.ZipInfo(f"{dossier.case.case_no}/{name}", date_time=stamp), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
