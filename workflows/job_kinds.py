"""What each kind of background job does (``workflows.jobs`` claims and runs them).

- ``audit_verify``: replay-verify every case of a township or of the district (``replay.verify_case``
  with the document re-rendering); the result is the counts and the list of failing cases.
- ``documents_zip``: the PDFs a township issued in a period (all kinds, or those chosen), packed in a
  zip with a ``清单.csv`` manifest, for archiving.
- ``roster_export``: a township's issued payment rosters of one year, workbook and PDF each, in a zip
  with a manifest that also says whether each roster still agrees with the benefit register.

Every kind works through its items in id order up to the highest id there was when the job first
started (items added later do not change the job), a batch at a time; the checkpoint is the last
id done. A zip grows batch by batch in a part file beside the document store and is put into the
store (by SHA-256) when the job finishes; a resumed job checks the part file against its checkpoint
and packs again from the start if they disagree.
"""

import csv
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock, replay, roster
from .clock import CHINA_TZ
from .documents import PREFIXES, DocumentIntegrityError
from .errors import Invalid
from .store import Case, Document, PaymentRoster, Township, unit_of_work

MANIFEST = "清单.csv"
NOT_PACKED = "（文件缺失或已被改动，未打包）"


@dataclass
class Outcome:
    """What a finished job leaves: its summary (the page shows it in the user's language), a download name,
    the stored file (if any)."""

    summary: dict
    name: str
    sha256: str | None = None


def _invalid(name: str, zh: str, en: str) -> Invalid:
    return Invalid(zh, en, {name: zh})


def _date(form: dict, name: str) -> date:
    try:
        return date.fromisoformat(str(form.get(name) or "").strip())
    except ValueError:
        raise _invalid(name, "请填写日期（YYYY-MM-DD）", "Enter a date (YYYY-MM-DD)") from None


def _place(session: Session, township: str | None) -> str:
    if township is None:
        return "全区"
    found = session.get(Township, township)
    return found.name if found else township


def summary_bytes(summary: dict) -> bytes:
    """A JSON summary as a file."""
    return json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8")


class _Kind:
    """The steps every kind has; ``model`` is the table its items come from."""

    model = Case

    def parse(self, form: dict) -> dict:
        """The job's parameters from what was asked (raises Invalid)."""
        return {}

    def where(self, run) -> list:
        """The filter of the job's items (besides the id range)."""
        return []

    def initial_state(self) -> dict:
        """The checkpoint before the first item."""
        return {}

    def prepare(self, run) -> None:
        """On first start: fix the items (highest id now) and count them."""
        if run.state is not None:
            return
        with unit_of_work(run.factory) as sess:
            upto = sess.scalar(select(func.max(self.model.id))) or 0
            run.total = sess.scalar(select(func.count()).select_from(self.model)
                                    .where(self.model.id <= upto, *self.where(run))) or 0
        run.state, run.done = {"after": 0, "upto": upto, **self.initial_state()}, 0

    def batch(self, session: Session, run) -> list[int]:
        """The ids of the next batch after the checkpoint."""
        model = self.model
        query = (select(model.id).where(model.id > run.state["after"], model.id <= run.state["upto"], *self.where(run))
                 .order_by(model.id).limit(run.every))
        return list(session.scalars(query))


class AuditVerify(_Kind):
    """Replay and verify every case in scope; re-render every document too when asked (``render``)."""

    def parse(self, form: dict) -> dict:
        """``render``: also re-render each document and compare its bytes (ten times slower; without it the
        stored files are still checked against the chain)."""
        return {"render": str(form.get("render", "")).strip() in ("1", "on", "true", "yes")}

    def where(self, run) -> list:  # noqa: D102
        return [] if run.township is None else [Case.township_code == run.township]

    def initial_state(self) -> dict:  # noqa: D102
        return {"passed": 0, "failed": []}

    def process(self, session: Session, run, ids: list[int]) -> None:
        """Verify each case (chain, attachments, replay, snapshot, documents; re-rendered when asked)."""
        passed, failed = run.state["passed"], list(run.state["failed"])
        render = run.services.render if run.params.get("render") else None
        for case in session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)).all():
            try:
                verdict = replay.verify_case(session, case, render, run.services.store).as_dict()
            except Exception as err:  # noqa: BLE001 - a case that cannot even be checked fails the check
                session.rollback()  # (PostgreSQL: a failed statement spoils the transaction for the next case)
                verdict = {"case_no": case.case_no, "verified": False, "problems": [f"验证时出错：{err}"]}
            if verdict["verified"]:
                passed += 1
            else:
                failed.append({"case_no": case.case_no, "township_code": case.township_code,
                               "problems": verdict.get("problems", []), "divergence": verdict.get("divergence")})
        run.state = {**run.state, "passed": passed, "failed": failed}

    def finish(self, session: Session, run) -> Outcome:
        """The counts and the failing cases."""
        failed = run.state["failed"]
        summary = {"scope": run.township or "", "cases": run.done, "passed": run.state["passed"],
                   "failed_count": len(failed), "failed": failed}
        return Outcome(summary, f"{_place(session, run.township)}重放验证结果.json")


# --- zips -----------------------------------------------------------------------------------------------


def _part_name(run) -> str:
    return f"job-{run.job_id}-{run.token}.zip.part"


def discard(run) -> None:
    """Remove the job's part file (a failed job's leftovers)."""
    if run.state and run.state.get("part"):
        (run.workdir / run.state["part"]).unlink(missing_ok=True)


def _entries(path) -> int | None:
    try:
        with zipfile.ZipFile(path) as zf:
            return len(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return None


def _stamp(at: datetime) -> tuple:
    return at.astimezone(CHINA_TZ).timetuple()[:6]


def _when(at: datetime) -> str:
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


class _Zip(_Kind):
    """A kind whose result is a zip of stored files."""

    def initial_state(self) -> dict:  # noqa: D102
        return {"entries": 0, "problems": []}

    def prepare(self, run) -> None:
        """Take over the part file of an earlier run, or pack again from the start if it does not match."""
        super().prepare(run)
        own = _part_name(run)
        held = run.state.get("part")
        if held and held != own and (run.workdir / held).exists():
            os.replace(run.workdir / held, run.workdir / own)
        if run.state["entries"] and _entries(run.workdir / own) != run.state["entries"]:
            run.state, run.done = None, 0
            run.note = "；".join(filter(None, (run.note, "上次未完成的打包文件不完整，已从头重新打包")))
            super().prepare(run)
        run.state = {**run.state, "part": own}

    def append(self, run, files: list[tuple[str, bytes, datetime]], problems: list[str]) -> None:
        """Add files to the part zip (closed again, so the checkpoint after this batch matches the file)."""
        if files:
            run.workdir.mkdir(parents=True, exist_ok=True)
            mode = "a" if run.state["entries"] else "w"
            with zipfile.ZipFile(run.workdir / run.state["part"], mode) as zf:
                for name, content, at in files:
                    zf.writestr(zipfile.ZipInfo(name, date_time=_stamp(at)), content)
        run.state = {**run.state, "entries": run.state["entries"] + len(files),
                     "problems": [*run.state["problems"], *problems]}

    def close(self, run, rows: list[dict], at: datetime) -> str:
        """Add the manifest, check every member, put the zip in the document store; its SHA-256."""
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]) if rows else ["说明"])
        writer.writeheader()
        writer.writerows(rows or [{"说明": "所选范围内没有文件"}])
        part = run.workdir / run.state["part"]
        run.workdir.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(part, "a" if run.state["entries"] else "w") as zf:
            info = zipfile.ZipInfo(MANIFEST, date_time=_stamp(at))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, ("\ufeff" + text.getvalue()).encode("utf-8"))  # BOM: Excel reads it as UTF-8
        with zipfile.ZipFile(part) as zf:
            if len(zf.namelist()) != run.state["entries"] + 1 or zf.testzip() is not None:
                raise RuntimeError("打包文件校验失败，请重新申请")
        digest = run.services.store.put(part.read_bytes(), ".zip")
        part.unlink()
        return digest


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ)


class DocumentsZip(_Zip):
    """The PDFs a township issued in a period (``date_from``–``date_to``, China dates), optionally of some kinds."""

    model = Document

    def parse(self, form: dict) -> dict:  # noqa: D102
        start, end = _date(form, "date_from"), _date(form, "date_to")
        if end < start:
            raise _invalid("date_to", "结束日期不能早于开始日期", "The end date is before the start date")
        kinds = form.get("kinds") or []
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        if any(k not in PREFIXES for k in kinds):
            raise _invalid("kinds", "没有这种文书", "No such kind of document")
        return {"date_from": start.isoformat(), "date_to": end.isoformat(), "kinds": sorted(set(kinds))}

    def where(self, run) -> list:  # noqa: D102
        params = run.params
        found = [Document.township_code == run.township,
                 Document.issued_at >= _day_start(date.fromisoformat(params["date_from"])),
                 Document.issued_at < _day_start(date.fromisoformat(params["date_to"]) + timedelta(days=1))]
        return [*found, Document.kind.in_(params["kinds"])] if params["kinds"] else found

    def process(self, session: Session, run, ids: list[int]) -> None:
        """Each PDF from the store, checked against its SHA-256; a missing or changed file is listed, not packed."""
        files, problems = [], []
        for doc in session.scalars(select(Document).where(Document.id.in_(ids)).order_by(Document.id)):
            try:
                files.append((f"{doc.kind}/{doc.number}.pdf", run.services.store.get(doc.sha256), doc.issued_at))
            except DocumentIntegrityError:
                problems.append(doc.number)
        self.append(run, files, problems)

    def finish(self, session: Session, run) -> Outcome:
        """The manifest of every document in the job, then the zip."""
        missing = set(run.state["problems"])
        query = (select(Document, Case.case_no).outerjoin(Case, Case.id == Document.case_id)
                 .where(Document.id <= run.state["upto"], *self.where(run)).order_by(Document.id))
        rows = [{"文书编号": doc.number, "文书种类": doc.kind, "案件编号": case_no or "",
                 "出具时间": _when(doc.issued_at), "核验码": doc.verify_code, "SHA-256": doc.sha256,
                 "压缩包内文件": NOT_PACKED if doc.number in missing else f"{doc.kind}/{doc.number}.pdf"}
                for doc, case_no in session.execute(query)]
        params = run.params
        digest = self.close(run, rows, _day_start(date.fromisoformat(params["date_to"])))
        name = f"{_place(session, run.township)}{params['date_from']}至{params['date_to']}文书.zip"
        return Outcome({"documents": run.done, "files": run.state["entries"], "problems": sorted(missing)},
                       name, digest)


class RosterExport(_Zip):
    """A township's issued payment rosters of one ``year``: the bank's workbook and the printed PDF of each."""

    model = PaymentRoster

    def parse(self, form: dict) -> dict:  # noqa: D102
        year = str(form.get("year") or "").strip()
        if not (year.isdigit() and len(year) == 4):
            raise _invalid("year", "请填写年份（如 2027）", "Enter a year (e.g. 2027)")
        return {"year": year}

    def where(self, run) -> list:  # noqa: D102
        return [PaymentRoster.township_code == run.township, PaymentRoster.month.like(f"{run.params['year']}-%")]

    def process(self, session: Session, run, ids: list[int]) -> None:
        """Both files of each roster, each checked against its SHA-256."""
        files, problems = [], []
        for found in session.scalars(select(PaymentRoster).where(PaymentRoster.id.in_(ids)).order_by(PaymentRoster.id)):
            try:
                doc = roster.pdf_document(session, found)
                files += [(f"{found.month}发放花名册.xlsx", roster.xlsx_bytes(session, found, run.services.store),
                           found.issued_at),
                          (f"{found.month}发放花名册.pdf", run.services.store.get(doc.sha256), found.issued_at)]
            except DocumentIntegrityError:
                problems.append(found.pdf_number)
        self.append(run, files, problems)

    def finish(self, session: Session, run) -> Outcome:
        """The manifest (totals, hashes, the check against the register), then the zip."""
        missing = set(run.state["problems"])
        found = session.scalars(select(PaymentRoster).where(PaymentRoster.id <= run.state["upto"], *self.where(run))
                                .order_by(PaymentRoster.month)).all()
        rows = [{"发放月份": r.month, "编号": r.pdf_number, "户数": r.households, "人数": r.persons,
                 "金额合计": f"{r.total:.2f}", "生成时间": _when(r.issued_at), "Excel SHA-256": r.xlsx_sha256,
                 "与在保登记簿核对": "；".join(roster.reconcile(session, r)) or "一致",
                 "文件": NOT_PACKED if r.pdf_number in missing else "已打包"} for r in found]
        digest = self.close(run, rows, found[-1].issued_at if found else clock.now())
        name = f"{_place(session, run.township)}{run.params['year']}年发放花名册.zip"
        return Outcome({"rosters": run.done, "files": run.state["entries"], "problems": sorted(missing)},
                       name, digest)


KINDS = {"audit_verify": AuditVerify(), "documents_zip": DocumentsZip(), "roster_export": RosterExport()}
