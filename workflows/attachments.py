"""Case attachments (材料扫描件): scans checked by their content, stored by SHA-256, recorded in the case's history.

What a file is is read from its bytes, never from its name: ``filetype`` recognises PDF, JPEG and
PNG by their signatures, Pillow must then open a JPEG/PNG as one, and a PDF must parse (pypdf) and
hold no active content (JavaScript, launch actions, embedded files), looked for both in the text
outside its streams and in the object tree (which also reaches objects packed in object streams).
The bytes go to the document store under ``attachments/`` by their SHA-256, outside the web root;
the user's file name is kept, cleaned, only to show. Each upload is one ``attachment_added`` event
in the case's hash chain; it does not change the workflow, so replay passes over it (and checks
that the register, the event and the stored bytes agree).
"""

import hashlib
import json
import re
import unicodedata
import warnings
from functools import lru_cache
from io import BytesIO
from pathlib import PurePosixPath

import filetype
from lxml import etree
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access, clock, specs
from .documents import DocumentIntegrityError, DocumentStore
from .errors import Conflict, Forbidden, Invalid, NotFound
from .history import append_event
from .i18n import N_
from .settings import SettingsView
from .store import Case, CaseAttachment, CaseEvent, CaseSnapshot, User

EVENT = "attachment_added"
OTHER = "other"
MATERIALS_DMN = "dibao_required_materials.dmn"
FOLDER, SUFFIX = "attachments", ".bin"  # below the document store's root; the suffix never comes from the user
TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_ACTIVE = {"JavaScript", "JS", "Launch", "EmbeddedFile"}  # PDF names of scripts, launch actions, embedded files
_NAME = re.compile(rb"/((?:[^\x00\t\n\x0c\r ()<>\[\]{}/%#]|#[0-9A-Fa-f]{2})+)")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
MAX_NAME = 120


def _refused(message_zh: str, message_en: str) -> Invalid:
    return Invalid(message_zh, message_en, {"file": message_zh})


def store_of(documents: DocumentStore) -> DocumentStore:
    """The attachments' part of the document store (its ``attachments/`` folder)."""
    return DocumentStore(documents.root / FOLDER)


@lru_cache(maxsize=16)
def _dmn_materials(text: str) -> tuple[tuple[str, str], ...]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(text.encode("utf-8"), parser)
    found = []
    for rule in root.iter("{*}rule"):
        output = rule.find("{*}outputEntry/{*}text")
        if output is not None and output.text:
            found.append((output.text.strip().strip('"'), (rule.findtext("{*}description") or "").strip()))
    return tuple(found)


def materials(session: Session, case: Case) -> dict[str, str]:
    """Material codes an attachment may name, with their Chinese labels: the required-materials DMN of the
    case's process version (its output codes, its rules' descriptions), then ``other``."""
    version = specs.version_by_hash(session, case.spec_hash)
    found = dict(_dmn_materials(version.sources[MATERIALS_DMN])) if MATERIALS_DMN in version.sources else {}
    return {**found, OTHER: N_("其他材料")}


def max_bytes(session: Session, case: Case) -> int:
    """The largest attachment allowed for this case today (setting ``attachment.max_bytes``)."""
    return int(SettingsView(session, case.township_code, clock.today()).get("attachment.max_bytes"))


def clean_filename(name: str) -> str:
    """The user's file name as display text: no folders, control or direction-changing characters, at most
    ``MAX_NAME`` characters (the extension kept); ``未命名文件`` when nothing is left."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if c in '<>:"|?*' else c for c in name if not unicodedata.category(c).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix[:12]
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name or "未命名文件"


def download_name(row: CaseAttachment) -> str:
    """The name a download is saved as: the shown name with the extension of the type detected."""
    stem = PurePosixPath(row.filename).stem if PurePosixPath(row.filename).suffix else row.filename
    return stem + TYPES.get(row.content_type, SUFFIX)


def inspect_content(content: bytes, limit: int) -> str:
    """The content type of an upload, decided by its bytes.

    Raises:
        Invalid: empty, larger than ``limit``, not PDF/JPEG/PNG, not a readable image or PDF, or a PDF
            with active content; the message says which, in Chinese first.
    """
    if not content:
        raise _refused("上传的文件是空文件，请重新选择", "The file is empty")
    if len(content) > limit:
        raise _refused(f"文件过大：不能超过 {limit / 1048576:.0f} MB（本文件 {len(content) / 1048576:.1f} MB）",
                       f"The file is larger than {limit} bytes")
    mime = filetype.guess_mime(content)
    if mime not in TYPES:
        raise _refused("只能上传PDF、JPEG或PNG格式的扫描件（按文件内容识别，与文件名无关）",
                       "Only PDF, JPEG or PNG scans are accepted (recognised by content, not by name)")
    if mime == "application/pdf":
        _check_pdf(content)
    else:
        _check_image(content, mime.removeprefix("image/").upper())  # Pillow's format: JPEG, PNG
    return mime


def _check_image(content: bytes, image_format: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(content), formats=[image_format]) as image:
                image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refused("图片文件已损坏、不完整或像素过大，无法作为扫描件接收",
                       "The image is damaged, incomplete or too large to open") from None


def _outside_streams(content: bytes) -> bytes:
    """The file without the data of its streams (binary: a name found there would mean nothing). A stream
    starts at the keyword ``stream`` (after white space or ``>>``, before an end of line) and ends at ``endstream``."""
    parts, pos, start = [], 0, content.find(b"stream")
    while start != -1:
        keyword = content[start - 1:start] in b" \t\r\n\x0c>" and content[start + 6:start + 7] in (b"\r", b"\n")
        end = content.find(b"endstream", start + 6) if keyword and start > 0 else start
        if end == -1:
            break
        if end != start:
            parts.append(content[pos:start])
            pos = end + 9
        start = content.find(b"stream", max(end, start) + 6)
    parts.append(content[pos:])
    return b" ".join(parts)


def _names_outside_streams(content: bytes) -> set[str]:
    """Every PDF name written in the file's text (``#xx`` escapes decoded), stream data left out."""
    names = _NAME.findall(_outside_streams(content))
    return {_HEX.sub(lambda m: bytes([int(m[1], 16)]), n).decode("latin-1") for n in names}


def _names_in_tree(reader: PdfReader) -> set[str]:
    """Every name used as a key or value in the objects reachable from the trailer."""
    found, seen, todo = set(), set(), [reader.trailer]
    while todo:
        obj = todo.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            found |= {str(key)[1:] for key in obj}
            todo.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            todo.extend(obj)
        elif isinstance(obj, NameObject):
            found.add(str(obj)[1:])
    return found


def _pdf_tree_names(content: bytes) -> set[str] | None:
    """The names in the PDF's object tree; None when it is encrypted (its objects cannot be read)."""
    try:
        reader = PdfReader(BytesIO(content), strict=False)
        return None if reader.is_encrypted else _names_in_tree(reader)
    except Exception:  # noqa: BLE001 - a parser of untrusted bytes: whatever it fails with, the file is unreadable
        raise _refused("PDF文件已损坏或无法读取，请重新扫描后上传", "The PDF is damaged or unreadable") from None


def _check_pdf(content: bytes) -> None:
    active = _names_outside_streams(content) & _ACTIVE
    if not active:
        names = _pdf_tree_names(content)
        if names is None:
            raise _refused("PDF文件已加密，无法检查其内容，请上传未加密的PDF", "Encrypted PDFs cannot be checked")
        active = names & _ACTIVE
    if active:
        raise _refused("PDF文件含有脚本、启动程序或内嵌文件等活动内容，出于安全原因不予接收，请重新扫描后上传",
                       f"The PDF holds active content ({', '.join(sorted(active))}) and is refused")


def attach(session: Session, actor: User, case_no: str, content: bytes, filename: str, material: str,
           documents: DocumentStore) -> CaseAttachment:
    """Check, store and record one scan on a case, inside the caller's unit of work.

    Args:
        content: the uploaded bytes; filename: the name the user's computer gave them (shown only);
        material: a code of :func:`materials`; documents: the document store (bytes go below it).

    Raises:
        NotFound: no such case, or another township's. Forbidden: county roles, administrators.
        Conflict: the case has ended, or this file is attached for this material already.
        Invalid: no file, an unknown material, or a file :func:`inspect_content` refuses.
    """
    case = access.case_for(session, actor, case_no)
    access.check_can_attach(actor, case)
    access.check_not_involved(session, actor, case)  # 回避: no evidence added to one's own family's case
    if not content and not (filename or "").strip():
        raise _refused("请选择要上传的扫描件", "Choose a file to upload")
    if material not in materials(session, case):
        raise Invalid("请选择材料类别", "Choose which material the scan is", {"material": N_("请选择材料类别")})
    content_type = inspect_content(content, max_bytes(session, case))
    digest = hashlib.sha256(content).hexdigest()
    if session.scalars(select(CaseAttachment.id).where(
            CaseAttachment.case_id == case.id, CaseAttachment.sha256 == digest,
            CaseAttachment.material == material)).first() is not None:
        raise Conflict("同一文件已作为该类材料上传过", "This file is attached for this material already")
    store = store_of(documents)
    store.put(content, SUFFIX)
    name, at = clean_filename(filename), clock.now()
    snap = session.get(CaseSnapshot, case.id)
    event = append_event(session, case, EVENT, at=at, actor=actor, state_digest=snap.digest,
                         digest_version=snap.digest_version,
                         data={"material": material, "filename": name, "content_type": content_type,
                               "size": len(content), "sha256": digest})
    row = CaseAttachment(
        case_id=case.id, material=material, filename=name, content_type=content_type, size=len(content),
        sha256=digest, storage_key=store.path(digest, SUFFIX).relative_to(documents.root).as_posix(),
        uploaded_by_id=actor.id, uploaded_at=at, event_seq=event.seq)
    session.add(row)
    session.flush()
    return row


def of_case(session: Session, case: Case) -> list[CaseAttachment]:
    """The case's attachments, oldest first."""
    query = select(CaseAttachment).where(CaseAttachment.case_id == case.id).order_by(CaseAttachment.event_seq)
    return list(session.scalars(query))


def attachment_for(session: Session, user: User, case_no: str, attachment_id: int) -> tuple[Case, CaseAttachment]:
    """A case's attachment, if this user may see the case (NotFound otherwise, also for another township's)."""
    case = access.case_for(session, user, case_no)
    row = session.get(CaseAttachment, attachment_id)
    if row is None or row.case_id != case.id:
        raise NotFound("未找到该材料扫描件", "No such attachment")
    return case, row


def content_of(documents: DocumentStore, row: CaseAttachment) -> bytes:
    """The attachment's bytes, checked against its SHA-256: a changed or missing file is never served."""
    path = documents.root / row.storage_key
    content = path.read_bytes() if path.is_file() else b""
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise DocumentIntegrityError("材料扫描件文件缺失或与登记的哈希值不一致，请联系管理员",
                                     "The stored attachment is missing or was changed")
    return content


def check(session: Session, case: Case, documents: DocumentStore | None = None) -> list[str]:
    """Problems between the attachment events, the register and (given the store) the stored bytes."""
    rows = {row.event_seq: row for row in of_case(session, case)}
    problems = []
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == EVENT)
                             .order_by(CaseEvent.seq))
    for ev in events:
        data, row = json.loads(ev.data), rows.pop(ev.seq, None)
        if row is None or (row.sha256, row.material, row.size) != (data["sha256"], data["material"], data["size"]):
            problems.append(f"第 {ev.seq} 条事件的扫描件：登记与事件记录不一致")
        elif documents is not None:
            try:
                content_of(documents, row)
            except DocumentIntegrityError:
                problems.append(f"第 {ev.seq} 条事件的扫描件：保存的文件缺失或被改动")
    problems += [f"attachment {row.id}: not recorded in the case's history" for row in rows.values()]
    return problems


def panel(session: Session, case: Case, user: User, required: list[str] | None = None) -> dict:
    """What the case page shows of the attachments: the rows with who uploaded them, the material labels,
    the required materials (codes of the case data) with whether a scan of each is attached, and whether
    this user may add one now (with the size limit)."""
    rows = of_case(session, case)
    uploaders = {u.id: u for u in session.scalars(select(User).where(User.id.in_({r.uploaded_by_id for r in rows})))}
    labels = materials(session, case)
    try:
        access.check_can_attach(user, case)
        access.check_not_involved(session, user, case)
        can_attach = True
    except (NotFound, Forbidden, Conflict):
        can_attach = False
    attached = {row.material for row in rows}
    return {
        "rows": [(row, uploaders.get(row.uploaded_by_id)) for row in rows], "labels": labels,
        "required": [(code, labels.get(code, code), code in attached) for code in required or []],
        "can_attach": can_attach, "max_mb": max_bytes(session, case) / 1048576,
        "accept": ",".join([*TYPES.values(), ".jpeg"]),
    }
