"""Retention through the app: `flask compact`, the worker's daily run, and a compacted case's page."""

from datetime import timedelta

from tests.drive import approved
from tests.webapp.web import login
from webapp import db, services, worker
from workflows import clock


def test_compaction_from_the_cli_and_the_daily_pass(app, client, at_monday):
    with app.app_context():
        case_no = approved(db.factory(), services.get(), at_monday)
    runner = app.test_cli_runner()
    with clock.frozen(at_monday + timedelta(days=10)):
        out = runner.invoke(args=["compact"]).output
    assert "已压缩 0 件" in out
    with app.app_context(), clock.frozen(at_monday + timedelta(days=120)):
        result = worker.run_pass()  # the first pass of the day anchors, then compacts
        assert result.anchor is not None and result.compacted == 1
    login(client, "auditor")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "已批准" in page and "李小明" in page and "960.00" in page  # the household and amount still show
    assert "验证通过" in client.get(f"/cases/{case_no}/verify").get_data(as_text=True)
