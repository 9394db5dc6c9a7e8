"""The monthly visit-rate report (月探访率通报; 银兴党办发〔2020〕38号 item 10, "周督导、月通报"): per township
and month, the key people to visit (targets), those visited and those still due, the visits made
(入户 / 电话), the rate and whether it meets ``visit.target_rate``; as an Excel workbook and a PDF.

A township's leader or reviewer reports on their own township (with the list of its targets); county
auditors and administrators on every township of the county, or on one. The figures are read from
``visit_target`` and ``visit`` the way :func:`workflows.visits.monthly_rate` counts them, as of the
last day of the month (or today, for the month under way). Each PDF is issued as a numbered,
verifiable document (prefix ``TF``, no case); the workbook is rebuilt from the same figures.
"""

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, numbers, rules, visits
from .documents import PREFIXES, mask_id
from .errors import Forbidden, NotFound
from .roster_workbook import reproducible_bytes
from .store import Document, Township, User, Visit

KIND = "visit_rate_report"
TOWNSHIP_ROLES = ("leader", "reviewer")  # their own township
COUNTY_ROLES = ("county_auditor", "admin")  # every township of the county
COUNTS = ("targets", "visited", "due", "visits", "home", "phone")
COLUMNS = (  # heading, width, key of a row
    ("乡镇（街道）代码", 16, "township_code"), ("乡镇（街道）", 16, "township_name"), ("探访对象（人）", 12, "targets"),
    ("已探访（人）", 12, "visited"), ("待探访（人）", 12, "due"), ("探访次数", 10, "visits"), ("其中入户", 10, "home"),
    ("其中电话", 10, "phone"), ("探访率", 10, "rate"), ("目标探访率", 11, "target_rate"), ("是否达标", 10, "met_label"),
)
DETAIL_COLUMNS = (
    ("姓名", 12, "name"), ("身份证号（脱敏）", 22, "id_masked"), ("类别", 16, "category_label"),
    ("来源", 12, "source_label"), ("探访起始", 12, "since"), ("探访截止", 12, "until"), ("本月探访次数", 13, "visits"),
    ("最近探访日期", 13, "last_visit"), ("方式", 8, "method_label"), ("探访人", 12, "staff"),
)
HEADER_ROWS = 4  # title, scope and dates, blank, column headings
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
_RATE = Decimal("0.0001")


def townships_for(session: Session, user: User, township_code: str | None = None) -> list[Township]:
    """The townships ``user`` may report on: their own (township leaders and reviewers), or every one
    of the county, or the one named (county roles).

    Raises:
        Forbidden: any other role. NotFound: an unknown township, or another township's for township staff.
    """
    if user.role in TOWNSHIP_ROLES and user.is_township_staff:
        if township_code not in (None, "", user.township_code):
            raise NotFound("没有该乡镇（街道），或您无权查看", "No such township, or not yours")
        return [session.get(Township, user.township_code)]
    if user.role not in COUNTY_ROLES:
        raise Forbidden("只有乡镇（街道）分管领导、审核人员和区民政局人员可以导出探访率报表",
                        "Only township leaders and reviewers and county staff export the visit report")
    rows = list(session.scalars(select(Township).order_by(Township.code)))
    if township_code:
        rows = [t for t in rows if t.code == township_code]
        if not rows:
            raise NotFound("没有该乡镇（街道）", "No such township")
    return rows


def _rate(done: int, total: int) -> Decimal:
    return (Decimal(done) / Decimal(total)).quantize(_RATE, ROUND_HALF_UP) if total else Decimal("1.0000")


def _figures(session: Session, township: Township, month: str, detail: bool) -> tuple[dict, list[dict]]:
    """One township's row of the month, and (``detail``) one line per target."""
    targets = visits.targets_of_month(session, township.code, month)
    first, last = date.fromisoformat(f"{month}-01"), rules.last_day_of(month)
    ids = {t.id for t in targets}
    made = [v for v in session.scalars(select(Visit).where(
        Visit.township_code == township.code, Visit.visited_on >= first, Visit.visited_on <= last)
        .order_by(Visit.visited_on, Visit.id)) if v.target_id in ids]
    visited = {v.target_id for v in made}
    methods = Counter(v.method for v in made)
    target_rate = visits.target_rate_of(session, township.code, month)
    rate = _rate(len(visited), len(targets))
    row = {"township_code": township.code, "township_name": township.name, "targets": len(targets),
           "visited": len(visited), "due": len(targets) - len(visited), "visits": len(made),
           "home": methods["home"], "phone": methods["phone"], "rate": rate, "target_rate": target_rate,
           "met": rate >= target_rate}
    return row, (_detail(session, targets, made) if detail else [])


def _detail(session: Session, targets: list, made: list[Visit]) -> list[dict]:
    staff = {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_({v.staff_id for v in made})))}
    lines = []
    for t in targets:
        mine = [v for v in made if v.target_id == t.id]
        latest = mine[-1] if mine else None
        lines.append({
            "name": t.name, "id_masked": mask_id(t.id_no), "category": t.category,
            "category_label": visits.CATEGORY_LABELS.get(t.category, t.category), "source": t.source,
            "source_label": visits.SOURCE_LABELS.get(t.source, t.source), "since": t.since.isoformat(),
            "until": t.until.isoformat() if t.until else "", "visits": len(mine),
            "last_visit": latest.visited_on.isoformat() if latest else "",
            "method_label": visits.METHOD_LABELS.get(latest.method, "") if latest else "",
            "staff": staff.get(latest.staff_id, "") if latest else "",
        })
    return lines


def report(session: Session, user: User, month: str, township_code: str | None = None) -> dict:
    """The month's figures for the townships ``user`` may report on (see :func:`townships_for`).

    Returns:
        ``month``, ``as_of`` (the last day counted), ``scope_code`` / ``scope_name`` / ``issuer`` (the
        township, or the county for several), ``rows`` (one per township, by code), ``totals`` and
        ``detail`` (one line per target of the month; for a single township only).

    Raises:
        Invalid: the month is not YYYY-MM. Forbidden, NotFound: see :func:`townships_for`.
    """
    visits.check_month(month)
    towns = townships_for(session, user, township_code)
    single = len(towns) == 1 and (user.is_township_staff or bool(township_code))
    rows, detail = [], []
    for town in towns:
        row, lines = _figures(session, town, month, single)
        rows.append(row)
        detail += lines
    totals = {key: sum(r[key] for r in rows) for key in COUNTS}
    totals.update(rate=_rate(totals["visited"], totals["targets"]), met=all(r["met"] for r in rows),
                  met_townships=sum(r["met"] for r in rows), townships=len(rows))
    first = towns[0]
    scope = (first.code, first.name, first.authority) if single else (
        first.county_code, first.county_name, f"{first.county_name}民政局")
    return {"month": month, "as_of": min(rules.last_day_of(month), clock.today()), "scope_code": scope[0],
            "scope_name": scope[1], "issuer": scope[2], "rows": rows, "totals": totals,
            "detail": detail if single else None}


def rate_rows(session: Session, user: User, month: str) -> list[dict]:
    """The month's row of each township ``user`` sees (township staff: their own; county roles: every one).

    Raises:
        Invalid: the month is not YYYY-MM. Forbidden: any other role.
    """
    visits.check_month(month)
    if user.is_township_staff and user.role in visits.STAFF_ROLES:
        towns = [session.get(Township, user.township_code)]
    elif user.role in COUNTY_ROLES:
        towns = list(session.scalars(select(Township).order_by(Township.code)))
    else:
        raise Forbidden("您的岗位无权查看探访率", "Your role may not see visit rates")
    return [_figures(session, town, month, False)[0] for town in towns]


def _percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _sheet(ws, columns, head: list[str], rows: list[dict]) -> None:
    last = get_column_letter(len(columns))
    for number, text in enumerate(head, 1):
        ws.cell(number, 1, text)
        ws.merge_cells(f"A{number}:{last}{number}")
    ws["A1"].font = Font(size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    for col, (title, width, _key) in enumerate(columns, 1):
        cell = ws.cell(HEADER_ROWS, col, title)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD_FILL, BOX
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for number, row in enumerate(rows, HEADER_ROWS + 1):
        for col, (_title, _width, key) in enumerate(columns, 1):
            cell = ws.cell(number, col, row.get(key))
            cell.border = BOX
            if key in ("rate", "target_rate"):
                cell.number_format = "0.0%"
    ws.freeze_panes = ws.cell(HEADER_ROWS + 1, 1)


def workbook_bytes(data: dict, generated_by: str) -> bytes:
    """The report as an Excel workbook: sheet 月探访率 (one row per township and a 合计 row) and, for a
    single township, sheet 探访对象明细 (one row per target of the month). Rates are numbers (0.0%)."""
    year, month = data["month"].split("-")
    title = f"{data['scope_name']}{year}年{int(month)}月重点对象探访率"
    dates = f"统计截至：{data['as_of'].isoformat()}　生成日期：{clock.today().isoformat()}"
    head = [title, f"{dates}　生成人：{generated_by}"]
    wb = Workbook()
    rows = [dict(r, met_label="达标" if r["met"] else "未达标") for r in data["rows"]]
    totals = data["totals"]
    rows.append(dict(totals, township_code="合计", township_name=f"{totals['townships']}个乡镇（街道）",
                     target_rate=None, met_label=f"达标{totals['met_townships']}个"))
    _sheet(wb.active, COLUMNS, head, rows)
    wb.active.title = "月探访率"
    for cell in wb.active[HEADER_ROWS + len(rows)]:
        cell.font = Font(bold=True)
    if data["detail"] is not None:
        _sheet(wb.create_sheet("探访对象明细"), DETAIL_COLUMNS, [f"{title}·探访对象明细", head[1]], data["detail"])
    return reproducible_bytes(wb, clock.today(), title)


def document_context(data: dict, generated_by: str, number: str, verify_code: str) -> dict:
    """What the PDF prints: the figures as text (rates as percentages), and the targets still due."""
    def shown(row: dict) -> dict:
        out = {key: row[key] for key in COUNTS}
        out.update(rate=_percent(row["rate"]), met_label="达标" if row["met"] else "未达标")
        return out

    rows = [dict(shown(r), township_name=r["township_name"], township_code=r["township_code"],
                 target_rate=_percent(r["target_rate"])) for r in data["rows"]]
    due = [line for line in data["detail"] or [] if not line["visits"]]
    return {
        "number": number, "verify_code": verify_code, "issued_on": clock.today().isoformat(),
        "issuer": data["issuer"], "scope_name": data["scope_name"], "scope_code": data["scope_code"],
        "month": data["month"], "as_of": data["as_of"].isoformat(), "generated_by": generated_by, "rows": rows,
        "totals": dict(shown(data["totals"]), townships=data["totals"]["townships"],
                       met_townships=data["totals"]["met_townships"]),
        "single": data["detail"] is not None,
        "due": [{k: line[k] for k in ("name", "id_masked", "category_label", "source_label")} for line in due],
    }


def issue_pdf(session: Session, user: User, data: dict, services) -> Document:
    """Render the report as a PDF and keep it as a numbered, verifiable document (``TF-<scope>-<year>-NNNNNN``).

    Args:
        data: a :func:`report`.
        services: the step services (``render``, ``store``, ``public_url``).
    """
    today = clock.today()
    number = numbers.document_number(session, PREFIXES[KIND], data["scope_code"], today.year)
    context = document_context(data, user.display_name, number, numbers.verify_code())
    if services.public_url:
        context["verify_url"] = f"{services.public_url.rstrip('/')}/verify/{context['verify_code']}"
    pdf = services.render(KIND, context)
    doc = Document(case_id=None, kind=KIND, number=number, verify_code=context["verify_code"],
                   sha256=services.store.put(pdf), size=len(pdf), issued_at=clock.now(), event_seq=0,
                   township_code=data["scope_code"])
    session.add(doc)
    session.flush()
    return doc


def filename(data: dict, suffix: str) -> str:
    """The download's name: 凤凰北街街道2026-12月探访率报表.xlsx."""
    return f"{data['scope_name']}{data['month']}月探访率报表{suffix}"
