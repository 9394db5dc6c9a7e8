"""统计看板 through the web: the page (charts' JSON block and the tables), the Excel export and the 督导通报 PDF.

The world: township 640104001 with a case limit of 2 working days (a dated setting), so that C is overdue:
A approved on 8 Dec 2026 (6 working days; late), C accepted on 30 Nov and waiting for its home visit;
640104002: D accepted on 30 Nov. The pages are read on Thursday 10 December 2026.
"""

import io
import json
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests import drive
from tests import factories as f
from tests.webapp.test_documents import pdf_text
from tests.webapp.web import login
from webapp import db, services
from workflows import clock, settings
from workflows.store import AccessLog, Document, unit_of_work

DEC10 = datetime(2026, 12, 10, 10, 0, tzinfo=clock.CHINA_TZ)
DATA = re.compile(r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.S)


@pytest.fixture
def world(app, at_monday):
    """The cases of the module docstring, by letter."""
    with app.app_context():
        factory, svc = db.factory(), services.get()
        with unit_of_work(factory) as sess:
            settings.set_value(sess, "dibao.deadline.case_wd", "640104001", date(2020, 1, 1), 2, "test: short")
        cases = {"A": drive.approved(factory, svc, at_monday)}
        sub = f.registration([f.member("赵桂英", date(1955, 6, 1), "self", "100", seq=12)])
        cases["C"] = drive.accepted(factory, svc, sub)
        assert drive.run_calls(factory, svc) == 1
        other = f.registration([f.member("孙红梅", date(1982, 9, 9), "self", "200", seq=14)],
                               responsible_township="640104002")
        cases["D"] = drive.accepted(factory, svc, other, "002")
    return cases


def page(client, query: str):
    with clock.frozen(DEC10):
        return client.get(f"/dashboard/{query}")


def charts(html: str) -> dict:
    return json.loads(DATA.search(html).group(1))


def test_a_township_reviewer_sees_charts_and_tables_of_the_township(client, world):
    login(client, "reviewer-001")
    resp = page(client, "?period=month&month=2026-12")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "统计看板 · 凤凰北街街道 · 2026年12月" in html
    data = charts(html)
    assert data["monthly"]["labels"][-1] == "2026-12" and data["monthly"]["approved"][-1] == 1
    assert data["stages"]["counts"][data["stages"]["labels"].index("入户调查中")] == 1
    assert data["townships"]["labels"] == ["凤凰北街街道"] and data["townships"]["overdue"] == [1]
    assert data["townships"]["average_days"] == [6.0] and data["townships"]["late"] == [1]
    # the numbers are in tables too (readable without JavaScript), and the case overdue is listed
    assert re.search(r'<table class="grid stages">.*入户调查中</th><td class="num">1</td>', html, re.S)
    assert world["C"] in html and world["D"] not in html and "解放西街街道" not in html
    assert '<canvas id="chart-stages" role="img"' in html
    assert 'id="township"' not in html  # township staff pick no township
    # the charts' script comes from 'self' (the CSP of every page), the data as a JSON block
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    assert '<script src="/static/vendor/chart.js/chart.umd.js"></script>' in html
    assert "<script>" not in html
    assert page(client, "?period=month&month=2026-12&township=640104002").status_code == 404


def test_the_district_has_a_row_per_township_and_can_pick_one(client, world):
    login(client, "auditor")
    html = page(client, "?period=month&month=2026-11").get_data(as_text=True)
    data = charts(html)
    assert len(data["townships"]["labels"]) == 15
    assert data["townships"]["received"][:2] == [2, 1]  # A and C in 640104001, D in 640104002
    assert 'id="township"' in html and "排名" in html and 'id="chart-townships"' in html
    picked = page(client, "?period=month&month=2026-11&township=640104002").get_data(as_text=True)
    assert charts(picked)["townships"]["labels"] == ["解放西街街道"]
    assert world["C"] not in picked


@pytest.mark.parametrize(("query", "message"), [
    ("?period=month&month=2026-13", "月份格式应为 YYYY-MM"),
    ("?period=week&week=2027-W02", "统计期间不能晚于今天"),
    ("?period=year", "统计周期应为月或周"),
])
def test_a_wrong_period_is_shown_beside_the_form(client, world, query, message):
    login(client, "leader-001")
    resp = page(client, query)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in html and "dashboard-data" not in html


def test_the_export_has_a_sheet_per_table_with_numbers(client, world):
    login(client, "auditor")
    with clock.frozen(DEC10):
        resp = client.get("/dashboard/export.xlsx?period=month&month=2026-12")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["各乡镇汇总", "办理环节", "月度审批", "在保家庭", "探访率", "逾期案件", "排名"]
    summary = wb["各乡镇汇总"]
    heads = [c.value for c in summary[3]]
    assert heads[:4] == ["乡镇（街道）代码", "乡镇（街道）", "新受理（件）", "审结（件）"]
    town = next(row for row in summary.iter_rows(min_row=4, values_only=True) if row[0] == "640104001")
    assert town[3] == 1 and town[6] == 1.0 and town[7] == 6.0 and town[10] == 1  # decided, rate, days, overdue
    total = next(row for row in summary.iter_rows(min_row=4) if row[0].value == "合计")
    assert total[2].value == 0 and total[3].value == 1 and total[6].number_format == "0.0%"
    overdue = list(wb["逾期案件"].iter_rows(min_row=4, values_only=True))
    applied, deadline = datetime(2026, 11, 30), datetime(2026, 12, 2)
    assert overdue == [(world["C"], "凤凰北街街道", "入户调查中", applied, deadline, "否", 6)]
    assert wb["逾期案件"]["E4"].number_format == "yyyy-mm-dd"
    months = list(wb["月度审批"].iter_rows(min_row=4, values_only=True))
    assert months[-1] == ("2026-12", 1, 0, 1) and len(months) == 12
    with clock.frozen(DEC10):
        again = client.get("/dashboard/export.xlsx?period=month&month=2026-12")
    assert again.data == resp.data  # the same figures, the same bytes
    with client.application.app_context():
        logged = db.session().scalars(select(AccessLog.target).where(AccessLog.action == "document_downloaded")).all()
    assert logged == ["DB-640104-2026-12.xlsx", "DB-640104-2026-12.xlsx"]


def test_the_weekly_supervision_report_is_a_numbered_pdf(client, world):
    login(client, "leader-001")
    with clock.frozen(DEC10):
        resp = client.get("/dashboard/report.pdf?period=week&week=2026-W50")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    for expected in ("最低生活保障审核确认工作督导通报", "（周督导）凤凰北街街道·2026年第50周（12月7日至12月13日）",
                     "审结1件（批准1件、不予批准0件，批准率100.0%）", "平均办理用时6.0个工作日",
                     "超过办理期限办结1件", "在办1件，其中超过办理期限1件", world["C"], "入户调查中"):
        assert expected in text, expected
    assert world["D"] not in text and "解放西街街道" not in text
    with client.application.app_context():
        doc = db.session().execute(select(Document.number, Document.verify_code, Document.case_id)
                                   .where(Document.kind == "supervision_report")).one()
        logged = db.session().scalars(select(AccessLog.target).where(AccessLog.action == "document_downloaded")).all()
    assert doc.number == "DD-640104001-2026-000001" and doc.case_id is None and logged == [doc.number]
    assert doc.number in text and doc.verify_code in text
    with clock.frozen(DEC10):
        verify = client.get(f"/verify/{doc.verify_code}").get_data(as_text=True)
    assert doc.number in verify


def test_the_district_report_ranks_the_townships(client, world):
    login(client, "auditor")
    with clock.frozen(DEC10):
        resp = client.get("/dashboard/report.pdf?period=month&month=2026-12")
    text = pdf_text(resp.data)
    assert "（月通报）兴庆区·2026年12月" in text and "三、排名" in text and "兴庆区民政局" in text
    # 凤凰北街街道 comes last (15th): one open case overdue and one decision late, 1 decided in 6.0 working days
    ranking = text[text.index("三、排名"):]
    assert "15凤凰北街街道21116.0" in ranking
