"""探访 through the web pages: a key person registered and ended by hand (category, reason, who and when),
and the monthly visit-rate report downloaded as Excel and PDF, its figures checked against the records."""

import io
import re
from datetime import date, datetime
from urllib.parse import quote

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.web import login, post_form
from webapp import db, services
from workflows import clock, visit_cases, visits
from workflows.store import AccessLog, Document, Visit, VisitTarget, unit_of_work
from workflows.visit_report import HEADER_ROWS

TOWN = "640104001"
DEC10 = datetime(2026, 12, 10, 9, 0, tzinfo=clock.CHINA_TZ)  # after drive.approved's decision of 8 December
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEFT_BEHIND = f.id_number(date(2015, 3, 4), 9)


def rows(app, model) -> list:
    with app.app_context(), unit_of_work(db.factory()) as sess:
        return list(sess.scalars(select(model).order_by(model.id)))


def test_a_target_is_registered_and_ended_by_hand_from_the_targets_page(app, client, at_monday):
    with clock.frozen(DEC10):
        login(client, "clerk-001")
        assert "探访对象（手工登记）" in client.get("/visits/").get_data(as_text=True)
        page = client.get("/visits/targets").get_data(as_text=True)
        assert "手工登记探访对象" in page and "留守儿童" in page and "尚无探访对象" in page
        typed = {"name": "小芳", "id_no": LEFT_BEHIND, "category": "left_behind", "note": ""}
        refused = post_form(client, "/visits/targets", typed)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "请填写登记原因" in html and 'value="小芳"' in html
        assert rows(app, VisitTarget) == []
        typed["note"] = "村委会报告：父母外出务工，随祖母生活"
        assert post_form(client, "/visits/targets", typed).status_code == 302
        html = client.get("/visits/targets").get_data(as_text=True)
        for text in ("小芳", "留守儿童", "手工登记", "凤凰北街街道窗口", "村委会报告：父母外出务工",
                     "2026-12-10 09:00"):
            assert text in html, text
        again = post_form(client, "/visits/targets", typed)
        assert again.status_code == 422 and "该人员已是本乡镇（街道）的探访对象" in again.get_data(as_text=True)
        assert "小芳" in client.get("/visits/").get_data(as_text=True)  # due this month

        (target,) = rows(app, VisitTarget)
        path = f"/visits/targets/{target.id}/end"
        early = post_form(client, path, {"last_day": "2026-12-01", "reason": "迁出"}, token_from="/visits/targets")
        html = early.get_data(as_text=True)
        assert early.status_code == 422 and "结束日期不能早于开始探访日期（2026-12-10）" in html
        login(client, "clerk-002")
        assert post_form(client, path, {"last_day": "2026-12-10", "reason": "迁出"},
                         token_from="/visits/targets").status_code == 403
        login(client, "auditor")
        assert client.get("/visits/targets").status_code == 403
        login(client, "investigator-001")
        done = post_form(client, path, {"last_day": "2026-12-10", "reason": "随父母迁往外地"},
                         token_from="/visits/targets")
        assert done.status_code == 302
    with clock.frozen(datetime(2026, 12, 11, 9, tzinfo=clock.CHINA_TZ)):
        html = client.get("/visits/targets").get_data(as_text=True)
        assert "近期结束的探访对象" in html and "2026-12-10 — 2026-12-10" in html
        current = html.split("当前探访对象")[1].split("近期结束的探访对象")[0]
        assert "小芳" not in current and "尚无探访对象" in current  # no longer visited …
        # … and who ended it, when and why
        ended_row = html.split("近期结束的探访对象")[1]
        for text in ("凤凰北街街道调查员", "2026-12-10 09:00", "随父母迁往外地"):
            assert text in ended_row, text
    (ended,) = rows(app, VisitTarget)
    assert (ended.until, ended.registered_by_id is not None, ended.end_reason) == (
        date(2026, 12, 10), True, "随父母迁往外地")


def pdf_text(data: bytes) -> str:
    """The PDF's text, without the spaces and line breaks the layout adds."""
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace(" ", "").replace("\n", "")


def _visited(app, at_monday) -> dict[str, int]:
    """The register's key people of 640104001 and one by hand; visits: 李建国 twice (home, phone), 小芳 once."""
    sub = f.registration()
    sub["members"][1].update(disability_level="1", disability_kind="physical")  # 李建国: 重度残疾
    with app.app_context():
        drive.approved(db.factory(), services.get(), at_monday, sub)
        with clock.frozen(DEC10), unit_of_work(db.factory()) as sess:
            visits.sync_targets(sess, TOWN)
            staff = drive.user(sess, "investigator-001")
            visits.register_target(sess, staff, TOWN, LEFT_BEHIND, "小芳", "left_behind", "村委会报告")
            ids = {t.name: t.id for t in visits.targets_of_month(sess, TOWN, "2026-12")}
            for name, method in (("李建国", "home"), ("李建国", "phone"), ("小芳", "home")):
                visit_cases.record_visit(sess, staff, ids[name], {"visited_on": "2026-12-10", "method": method,
                                                                  "notes": "生活情况良好。"}, services.get())
    return ids


def _sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    book = load_workbook(io.BytesIO(data))
    return list(book[sheet].iter_rows(min_row=HEADER_ROWS + 1, values_only=True))


def test_the_monthly_report_downloads_agree_with_the_records(app, client, at_monday):
    ids = _visited(app, at_monday)
    with clock.frozen(DEC10):
        login(client, "leader-001")
        page = client.get("/visits/?month=2026-12").get_data(as_text=True)
        assert "/visits/report.xlsx?month=2026-12" in page and "/visits/report.pdf?month=2026-12" in page
        resp = client.get("/visits/report.xlsx?month=2026-12")
        assert resp.status_code == 200 and resp.mimetype == XLSX
        name = quote("凤凰北街街道2026-12月探访率报表.xlsx", safe="")
        assert resp.headers["Content-Disposition"] == (
            f"attachment; filename=\"TF-{TOWN}-2026-12.xlsx\"; filename*=UTF-8''{name}")
        summary = _sheet_rows(resp.data, "月探访率")
        detail = _sheet_rows(resp.data, "探访对象明细")
        pdf = client.get("/visits/report.pdf?month=2026-12")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        login(client, "clerk-001")
        assert client.get("/visits/report.xlsx?month=2026-12").status_code == 403
        login(client, "leader-002")
        assert client.get(f"/visits/report.xlsx?month=2026-12&township={TOWN}").status_code == 404

    made = rows(app, Visit)
    targets = {t.id: t for t in rows(app, VisitTarget)}
    visited = {v.target_id for v in made}
    assert summary[0][:8] == (TOWN, "凤凰北街街道", len(targets), len(visited), len(targets) - len(visited),
                              len(made), sum(v.method == "home" for v in made), sum(v.method == "phone" for v in made))
    assert summary[0][2:] == (3, 2, 1, 3, 2, 1, 0.6667, 1, "未达标")
    assert summary[1][0] == "合计" and summary[1][2:6] == (3, 2, 1, 3)
    by_name = {line[0]: line for line in detail}
    assert set(by_name) == {t.name for t in targets.values()}
    for name, target_id in ids.items():
        mine = [v for v in made if v.target_id == target_id]
        line = by_name[name]
        assert line[1] == targets[target_id].id_no[:4] + "*" * 10 + targets[target_id].id_no[-4:]
        assert (line[6], line[7]) == (len(mine), mine[-1].visited_on.isoformat() if mine else None)
    assert by_name["小芳"][2:4] == ("留守儿童", "手工登记") and by_name["李小明"][8] is None

    (doc,) = [d for d in rows(app, Document) if d.kind == "visit_rate_report"]
    assert re.fullmatch(rf"TF-{TOWN}-2026-\d{{6}}", doc.number) and doc.case_id is None
    text = pdf_text(pdf.data)
    for phrase in ("重点对象月探访率通报", "凤凰北街街道2026年12月", "探访对象3人", "已探访2人", "待探访1人",
                   "66.7%", "未达标", "本月待探访对象", "李小明", doc.number):
        assert phrase in text, phrase
    assert targets[ids["李小明"]].id_no not in text  # masked, never the full number
    logged = [(a.username, a.action, a.target) for a in rows(app, AccessLog) if a.action == "document_downloaded"]
    assert logged == [("leader-001", "document_downloaded", f"TF-{TOWN}-2026-12.xlsx"),
                      ("leader-001", "document_downloaded", doc.number)]
    assert doc.number in client.get(f"/verify/{doc.verify_code}").get_data(as_text=True)


def test_the_county_report_covers_every_township(app, client, at_monday):
    _visited(app, at_monday)
    with clock.frozen(DEC10):
        login(client, "auditor")
        page = client.get("/visits/?month=2026-12").get_data(as_text=True)
        assert f"/visits/report.pdf?month=2026-12&amp;township={TOWN}" in page
        book = load_workbook(io.BytesIO(client.get("/visits/report.xlsx?month=2026-12").data))
        assert book.sheetnames == ["月探访率"]  # no names in the county's summary
        summary = list(book["月探访率"].iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
        assert len(summary) == 16 and summary[0][:6] == (TOWN, "凤凰北街街道", 3, 2, 1, 3)
        assert all(r[2] == 0 and r[10] == "达标" for r in summary[1:15])  # nobody to visit: 100%
        assert summary[15][:6] == ("合计", "15个乡镇（街道）", 3, 2, 1, 3) and summary[15][10] == "达标14个"
        one = load_workbook(io.BytesIO(client.get(f"/visits/report.xlsx?month=2026-12&township={TOWN}").data))
        assert one.sheetnames == ["月探访率", "探访对象明细"]
        pdf = client.get("/visits/report.pdf?month=2026-12")
        text = pdf_text(pdf.data)
        assert "兴庆区2026年12月" in text and "15个乡镇（街道）中14个达到目标" in text and "李小明" not in text
        assert client.get("/visits/report.xlsx?month=2026-13").status_code == 422
    (doc,) = [d for d in rows(app, Document) if d.kind == "visit_rate_report"]
    assert doc.township_code == "640104" and doc.number.startswith("TF-640104-2026-")
