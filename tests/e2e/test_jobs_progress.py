"""后台任务 in a real browser: the job's page polls its progress (static/jobs.js, under the app's CSP) and,
when the worker has finished the job, reloads itself to show the result — with no error in the console."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_browser_journey import login, nav

pytestmark = pytest.mark.browser


def test_the_job_page_follows_the_worker_and_shows_the_result(page: Page, live_server, shot):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"{msg.text} {msg.location.get('url')}")
            if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    login(page, "auditor")
    nav(page, "后台任务")
    page.locator("#audit-verify").get_by_role("button", name="开始验证").click()
    status = page.locator(".job-progress [data-job-status]")
    expect(status).to_have_text("排队中")
    expect(page.get_by_role("link", name="下载结果")).to_have_count(0)
    shot(page, "job-queued")
    ran = live_server.cli("run-jobs")  # the worker's work, done meanwhile by another process
    assert ran.returncode == 0, ran.stderr
    expect(page.get_by_role("link", name="下载结果")).to_be_visible(timeout=15_000)  # polled, then reloaded
    expect(status).to_have_text("已完成")
    expect(page.locator(".job-progress")).not_to_have_attribute("data-job-progress", "/jobs/1.json")
    expect(page.get_by_text("共验证 0 件案件，全部通过")).to_be_visible()
    shot(page, "job-done")
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []  # a CSP refusal would be listed here
