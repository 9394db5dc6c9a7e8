"""The 统计看板 as an Excel workbook, and the 督导通报 (周督导、月通报) as a numbered, verifiable PDF.

Both are made from one :func:`workflows.dashboard.report`. The workbook has one sheet per table of the
page, with Chinese headings and the figures as numbers (rates as 0.0%, amounts as yuan). The PDF is
issued like the visit-rate report: a document row with no case (prefix ``DD``, numbered per township or
for the district), rendered by the injected renderer, kept by SHA-256 and verifiable at /verify.
Status names come from the caller (``stage_labels``), so the engine layer holds no display labels.
"""

from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from . import clock, numbers
from .dashboard_queries import STAGES
from .documents import PREFIXES
from .roster_workbook import reproducible_bytes
from .store import Document, User

KIND = "supervision_report"
PERIOD_NAMES = {"month": "月通报", "week": "周督导"}
RATE, MONEY, DAYS, DAY = "0.0%", "#,##0.00", "0.0", "yyyy-mm-dd"
# heading, width, key, number format — the columns of the per-township table (the page's and the sheet's)
SUMMARY = (
    ("乡镇（街道）代码", 16, "township_code", None), ("乡镇（街道）", 16, "township_name", None),
    ("新受理（件）", 11, "received", None), ("审结（件）", 10, "decided", None), ("批准（件）", 10, "approved", None),
    ("不予批准（件）", 12, "refused", None), ("批准率", 9, "approval_rate", RATE),
    ("平均办理工作日", 13, "average_days", DAYS), ("逾期办结（件）", 12, "late", None),
    ("在办（件）", 10, "open", None), ("逾期在办（件）", 12, "overdue_open", None),
    ("逾期任务（项）", 12, "overdue_tasks", None), ("在保户数", 10, "households", None),
    ("在保人数", 10, "persons", None), ("月保障金（元）", 14, "amount", MONEY),
    ("探访对象（人）", 12, "visit_targets", None), ("已探访（人）", 11, "visited", None),
    ("探访率", 9, "visit_rate", RATE),
)
MONTHLY = (("月份", 10, "month", None), ("批准（件）", 10, "approved", None), ("不予批准（件）", 12, "refused", None),
           ("合计（件）", 10, "total", None))
REGISTER = (("月份", 10, "month", None), ("在保户数", 10, "households", None), ("在保人数", 10, "persons", None),
            ("月保障金（元）", 14, "amount", MONEY))
VISITS = (("乡镇（街道）", 16, "township_name", None), ("探访对象（人）", 12, "visit_targets", None),
          ("已探访（人）", 11, "visited", None), ("探访率", 9, "visit_rate", RATE),
          ("目标探访率", 11, "visit_target_rate", RATE), ("是否达标", 9, "visit_met_label", None))
OVERDUE = (("案卷号", 22, "case_no", None), ("乡镇（街道）", 16, "township_name", None),
           ("当前环节", 16, "stage_label", None), ("申请日期", 12, "applied_on", DAY),
           ("办理期限", 12, "case_deadline", DAY), ("已延期", 8, "extended_label", None),
           ("逾期工作日", 11, "days_overdue", None))
RANKING = (("名次", 6, "rank", None), ("乡镇（街道）", 16, "township_name", None), ("逾期（件）", 10, "overdue", None),
           ("其中逾期在办", 12, "overdue_open", None), ("其中逾期办结", 12, "late", None),
           ("平均办理工作日", 13, "average_days", DAYS), ("审结（件）", 10, "decided", None))
HEADER_ROWS = 3  # title, scope and dates, then the column headings
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")


def title(data: dict) -> str:
    """凤凰北街街道2026年11月低保审核确认统计 (the workbook's and the files' name)."""
    return f"{data['scope'].name}{data['period'].label}低保审核确认统计"


def _sheet(wb: Workbook, name: str, columns: tuple, head: tuple[str, str], rows: list[dict]) -> None:
    """One sheet: the title and the dates (``head``) over the columns' headings, then one row per dict."""
    ws = wb.create_sheet(name)
    last = get_column_letter(len(columns))
    for number, text in enumerate((f"{head[0]}·{name}", head[1]), 1):
        ws.cell(number, 1, text)
        ws.merge_cells(f"A{number}:{last}{number}")
    ws["A1"].font, ws["A1"].alignment = Font(size=14), Alignment(horizontal="center")
    for col, (heading, width, _key, _fmt) in enumerate(columns, 1):
        cell = ws.cell(HEADER_ROWS, col, heading)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD_FILL, BOX
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for number, row in enumerate(rows, HEADER_ROWS + 1):
        for col, (_heading, _width, key, fmt) in enumerate(columns, 1):
            cell = ws.cell(number, col, row.get(key))
            cell.border = BOX
            if fmt:
                cell.number_format = fmt
    ws.freeze_panes = ws.cell(HEADER_ROWS + 1, 1)


def _stage_table(data: dict, stage_labels: dict, head: tuple[str, str]) -> tuple[tuple, tuple, list[dict]]:
    """The columns, heading and rows of the 办理环节 sheet: open cases per stage and township."""
    columns = (("乡镇（街道）", 16, "township_name", None),
               *((stage_labels.get(s, s), 10, s, None) for s in STAGES), ("在办合计", 10, "open", None))
    rows = [{s: r["stages"].get(s, 0) for s in STAGES} | {"township_name": r["township_name"], "open": r["open"]}
            for r in data["rows"]]
    if not data["scope"].single:
        rows.append(dict(data["totals"]["stages"], township_name="合计", open=data["totals"]["open"]))
    return columns, head, rows


def _overdue_rows(data: dict, stage_labels: dict) -> list[dict]:
    return [dict(line, stage_label=stage_labels.get(line["status"], line["status"]),
                 extended_label="是" if line["deadline_extended"] else "否") for line in data["overdue"]]


def workbook_bytes(data: dict, generated_by: str, stage_labels: dict) -> bytes:
    """The dashboard as a workbook: 各乡镇汇总 (with a 合计 row for the district), 办理环节, 月度审批,
    在保家庭, 探访率, 逾期案件 and, for the district, 排名. Identical figures give identical bytes."""
    period, totals = data["period"], data["totals"]
    head = (title(data), f"统计期间：{period.first}至{period.last}　在办、逾期截至：{data['as_of']}　"
                         f"生成人：{generated_by}")
    summary = list(data["rows"])
    if not data["scope"].single:
        summary.append(dict(totals, township_code="合计", township_name=f"{totals['townships']}个乡镇（街道）"))
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "各乡镇汇总", SUMMARY, head, summary)
    _sheet(wb, "办理环节", *_stage_table(data, stage_labels, head))
    _sheet(wb, "月度审批", MONTHLY, head, [dict(m, total=m["approved"] + m["refused"]) for m in data["monthly"]])
    _sheet(wb, "在保家庭", REGISTER, head, data["register_trend"])
    _sheet(wb, "探访率", VISITS, head, [dict(r, visit_met_label="达标" if r["visit_met"] else "未达标")
                                       for r in data["rows"]])
    _sheet(wb, "逾期案件", OVERDUE, head, _overdue_rows(data, stage_labels))
    if data["ranking"]:
        _sheet(wb, "排名", RANKING, head, data["ranking"])
    return reproducible_bytes(wb, clock.today(), head[0])


def percent(value: Decimal | None) -> str:
    """0.6667 → 66.7%; None → —."""
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _shown(row: dict) -> dict:
    """A row's figures as the PDF prints them."""
    out = {key: row[key] for key in ("received", "decided", "approved", "refused", "late", "open", "overdue_open",
                                     "overdue_tasks", "households", "persons", "visit_targets", "visited")}
    out.update(approval_rate=percent(row["approval_rate"]), visit_rate=percent(row["visit_rate"]),
               average_days="—" if row["average_days"] is None else str(row["average_days"]),
               amount=f"{row['amount']:,.2f}")
    return out


def document_context(data: dict, generated_by: str, number: str, verify_code: str, stage_labels: dict) -> dict:
    """What the 督导通报 prints: headline figures, the per-township table, the overdue cases, the ranking."""
    period, scope = data["period"], data["scope"]
    return {
        "number": number, "verify_code": verify_code, "issued_on": clock.today().isoformat(), "issuer": scope.issuer,
        "scope_name": scope.name, "scope_code": scope.code, "single": scope.single, "period_kind": period.kind,
        "period_name": PERIOD_NAMES[period.kind], "period_label": period.label,
        "period_first": period.first.isoformat(), "period_last": period.last.isoformat(),
        "visit_month": period.month, "as_of": data["as_of"].isoformat(), "generated_by": generated_by,
        "totals": dict(_shown(data["totals"]), townships=data["totals"]["townships"]),
        "rows": [dict(_shown(r), township_name=r["township_name"], township_code=r["township_code"])
                 for r in data["rows"]],
        "overdue": [{k: str(line[k]) for k in ("case_no", "township_name", "stage_label", "case_deadline",
                                               "days_overdue", "extended_label")}
                    for line in _overdue_rows(data, stage_labels)],
        "overdue_total": data["totals"]["overdue_open"],
        "ranking": [{"rank": r["rank"], "township_name": r["township_name"], "overdue": r["overdue"],
                     "overdue_open": r["overdue_open"], "late": r["late"], "decided": r["decided"],
                     "average_days": "—" if r["average_days"] is None else str(r["average_days"])}
                    for r in data["ranking"]],
    }


def issue_pdf(session: Session, user: User, data: dict, services, stage_labels: dict) -> Document:
    """Render the 督导通报 and keep it as a numbered, verifiable document (``DD-<scope>-<year>-NNNNNN``).

    Args:
        data: a :func:`workflows.dashboard.report`.
        services: the step services (``render``, ``store``, ``public_url``).
        stage_labels: status → the stage's Chinese name.
    """
    today = clock.today()
    number = numbers.document_number(session, PREFIXES[KIND], data["scope"].code, today.year)
    context = document_context(data, user.display_name, number, numbers.verify_code(), stage_labels)
    if services.public_url:
        context["verify_url"] = f"{services.public_url.rstrip('/')}/verify/{context['verify_code']}"
    pdf = services.render(KIND, context)
    doc = Document(case_id=None, kind=KIND, number=number, verify_code=context["verify_code"],
                   sha256=services.store.put(pdf), size=len(pdf), issued_at=clock.now(), event_seq=0,
                   township_code=data["scope"].code)
    session.add(doc)
    session.flush()
    return doc
