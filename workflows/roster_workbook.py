"""The payment roster as an Excel workbook for the bank (openpyxl), reproducible to the byte.

The same roster always gives the same bytes, so the SHA-256 recorded when it was issued can be
checked years later: the workbook properties carry the issue date (00:00 China time) and the
creator ``dibao``, never the time of writing, and the zip entries are rewritten with that date
too (zip files otherwise stamp each entry with the current time).
"""

import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.packaging.core import DocumentProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from .clock import CHINA_TZ

CREATOR = "dibao"
COLUMNS = (  # heading, width, key of a line
    ("序号", 6, "seq"), ("低保证号", 27, "certificate_no"), ("户主姓名", 12, "holder_name"),
    ("身份证号（脱敏）", 22, "holder_id_masked"), ("保障人数", 10, "persons"), ("月保障金额（元）", 17, "amount"),
    ("类别", 14, "standard_class_label"),
)
HEADER_ROWS = 4  # title, township and month, number, column headings
MONEY, COUNT = "0.00", "0"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
CORE_XML = "docProps/core.xml"


def workbook_bytes(head: dict, lines: list[dict], totals: dict) -> bytes:
    """The roster workbook: one sheet, header rows, one row per household, a total row.

    Args:
        head: ``township_name``, ``township_code``, ``month`` (YYYY-MM), ``issued_on`` (a date)
            and ``number`` (the roster's document number).
        lines: the roster lines in order (``seq``, ``certificate_no``, ``holder_name``,
            ``holder_id_masked``, ``persons``, ``amount`` as Decimal, ``standard_class_label``).
        totals: ``households``, ``persons`` and ``amount`` (Decimal) as the engine computed them.

    Raises:
        ValueError: the totals do not add up from the lines.
    """
    _check_totals(lines, totals)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{head['month']}花名册"
    _write_head(ws, head)
    for row, line in enumerate(lines, HEADER_ROWS + 1):
        for col, (_title, _width, key) in enumerate(COLUMNS, 1):
            value = line[key]
            cell = ws.cell(row, col, value)
            cell.border = BOX
            if key == "amount":
                cell.number_format = MONEY
            elif key in ("seq", "persons"):
                cell.number_format = COUNT
    _write_totals(ws, len(lines), totals)
    ws.freeze_panes = ws.cell(HEADER_ROWS + 1, 1)
    ws.print_title_rows = f"{HEADER_ROWS}:{HEADER_ROWS}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.calculation.fullCalcOnLoad = True  # Excel computes the SUM formulas when the bank opens it
    return reproducible_bytes(wb, head["issued_on"], "最低生活保障金发放花名册")


def _check_totals(lines: list[dict], totals: dict) -> None:
    amount = sum((Decimal(line["amount"]) for line in lines), Decimal("0.00"))
    persons = sum(int(line["persons"]) for line in lines)
    if (len(lines), persons, amount) != (totals["households"], totals["persons"], Decimal(totals["amount"])):
        raise ValueError(f"roster totals {totals} do not add up from its {len(lines)} lines")


def _write_head(ws, head: dict) -> None:
    last = get_column_letter(len(COLUMNS))
    year, month = head["month"].split("-")
    issued = head["issued_on"]
    ws["A1"] = f"{head['township_name']}最低生活保障金发放花名册"
    ws["A1"].font = Font(size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A1:{last}1")
    ws["A2"] = f"乡镇（街道）：{head['township_name']}（{head['township_code']}）"
    ws["D2"] = f"发放月份：{year}年{int(month)}月"
    ws["F2"] = f"生成日期：{issued.year}年{issued.month}月{issued.day}日"
    ws.merge_cells("A2:C2")
    ws.merge_cells("D2:E2")
    ws.merge_cells(f"F2:{last}2")
    ws["A3"] = f"花名册编号：{head['number']}"
    ws.merge_cells(f"A3:{last}3")
    for col, (title, width, _key) in enumerate(COLUMNS, 1):
        cell = ws.cell(HEADER_ROWS, col, title)
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width


def _write_totals(ws, count: int, totals: dict) -> None:
    """The 合计 row (SUM formulas) and, under it, the engine's figures with a cross-check formula."""
    first, last = HEADER_ROWS + 1, HEADER_ROWS + count
    total_row, checked_row = last + 1, last + 2
    ws.cell(total_row, 1, "合计")
    ws.cell(total_row, 2, f"=COUNTA(B{first}:B{last})")
    ws.cell(total_row, 5, f"=SUM(E{first}:E{last})").number_format = COUNT
    ws.cell(total_row, 6, f"=SUM(F{first}:F{last})").number_format = MONEY
    ws.cell(checked_row, 1, "核定合计")
    ws.cell(checked_row, 2, totals["households"]).number_format = COUNT
    ws.cell(checked_row, 5, totals["persons"]).number_format = COUNT
    ws.cell(checked_row, 6, Decimal(totals["amount"])).number_format = MONEY
    ws.cell(checked_row, 7, f'=IF(AND(B{total_row}=B{checked_row},E{total_row}=E{checked_row},'
                            f'ROUND(F{total_row}-F{checked_row},2)=0),"核对一致","核对不一致")')
    for row in (total_row, checked_row):
        for col in range(1, len(COLUMNS) + 1):
            ws.cell(row, col).border = BOX
            ws.cell(row, col).font = Font(bold=True)


def reproducible_bytes(wb: Workbook, issued_on: date, title: str) -> bytes:
    """Save with fixed properties and zip entry dates: identical workbooks give identical bytes.

    Args:
        wb: the workbook to save.
        issued_on: the day stamped on the properties (00:00 China time) and on every zip entry.
        title: the workbook's title property.
    """
    midnight = datetime(issued_on.year, issued_on.month, issued_on.day, tzinfo=CHINA_TZ)
    stamp = midnight.astimezone(UTC).replace(tzinfo=None)  # openpyxl writes naive datetimes as UTC
    props = DocumentProperties(creator=CREATOR, lastModifiedBy=CREATOR, title=title, created=stamp, modified=stamp)
    wb.properties = props
    raw = BytesIO()
    wb.save(raw)  # openpyxl stamps "modified" with the current time here: core.xml is written again below
    props.modified = stamp
    out = BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = tostring(props.to_tree()) if name == CORE_XML else src.read(name)
            entry = zipfile.ZipInfo(name, date_time=(issued_on.year, issued_on.month, issued_on.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data, compresslevel=6)
    return out.getvalue()
