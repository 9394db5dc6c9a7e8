"""Commands, as `flask --app wsgi <command>`: init-db, seed-demo, create-user, tick, worker, retry-calls, audit-*."""

import json
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from workflows import (
    access_log,
    anchors,
    backup,
    clock,
    demo,
    incidents,
    procedure,
    reference,
    relatives,
    replay,
    retention,
    store,
)
from workflows.errors import DomainError
from workflows.store import Case, OutsideCall, User
from workflows.store.outside_call import INCIDENT
from workflows.users import create_user

from . import db, services, worker
from .documents import check_fonts
from .process_cli import process_upgrade
from .visit_cli import start_visits


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema (migrations) and load the reference data."""
    revision = store.create_schema(db.engine())
    with store.unit_of_work(db.factory()) as sess:
        units, settings = reference.load(sess)
    click.echo(f"数据库已就绪（结构版本 {revision}）：{units} 个乡镇（街道），新增 {settings} 项设置")


@click.command("seed-demo")
@with_appcontext
@click.option("--cases", "n_cases", default=12, show_default=True, help="demo cases spread over all stages")
def seed_demo(n_cases: int) -> None:
    """Demo users for every role and township, and cases at different stages."""
    store.create_schema(db.engine())
    problems = check_fonts()
    if problems:
        _fail("; ".join(problems))
    with store.unit_of_work(db.factory()) as sess:
        reference.load(sess)
        made = demo.create_users(sess)
    click.echo(f"演示账号：新建 {made} 个，密码均为 {demo.DEMO_PASSWORD}")
    stages = demo.seed_cases(db.factory(), services.get(), n_cases)
    if stages:
        click.echo("演示案件：" + "，".join(f"{k} {v}" for k, v in sorted(stages.items())))
    else:
        click.echo("数据库中已有案件，未再生成演示案件")
    rosters = demo.seed_rosters(db.factory(), services.get())
    if rosters:
        click.echo("演示发放花名册（制表、审核）：" + "，".join(rosters))


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(store.ROLES))
@click.option("--township", "township_code", default=None, help="9-digit township code")
@click.option("--name", "display_name", default="", help="display name")
@click.option("--id-no", "id_no", default=None, help="the staff member's 身份证号 (回避: kept off own family's cases)")
def create_user_cmd(username: str, role: str, township_code: str | None, display_name: str,
                    id_no: str | None) -> None:
    """Create an account; the password is read from stdin."""
    password = sys.stdin.readline().rstrip("\n")
    try:
        with store.unit_of_work(db.factory()) as sess:
            user = create_user(sess, username, password, role, township_code, display_name, id_no)
            if user.id_no:  # logged like a change on the 近亲属备案 page (who: the command line)
                access_log.record(sess, relatives.ID_NO_SET, user=None, username="create-user",
                                  target=user.username, channel="cli")
    except DomainError as err:
        _fail(err.message_zh)
    click.echo(f"已创建用户 {username}（{role}）")


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    if not current_app.config.get("DIBAO_TESTING"):
        _fail("--now 只能在 DIBAO_TESTING=1 时使用")
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=clock.CHINA_TZ)


def _pass_report(result: worker.PassResult) -> str:
    made = f"；已生成当日锚点 {result.anchor}，压缩已办结案件快照 {result.compacted} 件" if result.anchor else ""
    made += f"；后台任务处理 {result.jobs} 件" if result.jobs else ""
    made += f"；探访排期 {result.visits} 件" if result.visits else ""
    return f"到期定时事件已处理：{result.timers} 件；外部核对已答复：{result.calls} 件{made}"


@click.command("tick")
@with_appcontext
@click.option("--now", "now_text", default=None, help="ISO time to run at (only with DIBAO_TESTING=1)")
def tick(now_text: str | None) -> None:
    """One pass: make the due outside calls (核对) and fire every timer that is due."""
    at = _parse_now(now_text)
    if at is None:
        result = worker.run_pass()
    else:
        with clock.frozen(at):
            result = worker.run_pass()
    click.echo(_pass_report(result))


@click.command("worker")
@with_appcontext
@click.option("--interval", default=30.0, show_default=True, help="seconds between passes")
def worker_cmd(interval: float) -> None:
    """Run passes (outside calls and timers) until stopped (SIGTERM or Ctrl-C)."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    click.echo("定时任务进程已启动")
    try:
        while not stopping:
            result = worker.run_pass()
            if result.timers or result.calls or result.anchor or result.jobs or result.visits:
                click.echo(f"{clock.now().isoformat()} {_pass_report(result)}")
            for _ in range(int(interval * 10)):
                if stopping:
                    break
                time.sleep(0.1)
    except KeyboardInterrupt:
        pass
    click.echo("定时任务进程已停止")


def _cases_with_open_calls() -> list[str]:
    with store.unit_of_work(db.factory()) as sess:
        query = (select(Case.case_no).join(OutsideCall, OutsideCall.case_id == Case.id)
                 .where(OutsideCall.status == INCIDENT).distinct().order_by(Case.case_no))
        return list(sess.scalars(query))


def _retry_command(name: str, what: str):
    """The options every retry command takes: one case or all of them, as which operator."""
    def wrap(func):
        func = with_appcontext(func)
        func = click.option("--user", "username", default="admin", show_default=True,
                            help="the operator's account")(func)
        func = click.option("--all", "all_cases", is_flag=True, help=f"every case with {what}")(func)
        func = click.option("--case", "case_no", default=None, help="one case number")(func)
        return click.command(name)(func)
    return wrap


def _operator(sess, username: str) -> User:
    operator = sess.scalars(select(User).where(User.username == username)).first()
    if operator is None:
        _fail(f"未找到用户 {username}")
    return operator


@_retry_command("retry-calls", "a failed outside call")
def retry_calls(case_no: str | None, all_cases: bool, username: str) -> None:
    """Retry failed outside calls (核对) at once; exit 1 if any is still failing."""
    if bool(case_no) == all_cases:
        _fail("请指定 --case 案件编号 或 --all")
    failed = 0
    for number in [case_no] if case_no else _cases_with_open_calls():
        try:
            with store.unit_of_work(db.factory()) as sess:
                calls = [c.id for c in procedure.retry_call(sess, _operator(sess, username), number)]
        except DomainError as err:
            _fail(f"{number}：{err.message_zh}")
        answered = worker.run_calls(calls)
        failed += answered < len(calls)
        click.echo(f"{number}：重试 {len(calls)} 项外部核对，成功 {answered} 项")
    click.echo(f"重试完成，仍未成功的案件 {failed} 件")
    if failed:
        sys.exit(1)


@_retry_command("retry-timers", "a failing timer")
def retry_timers(case_no: str | None, all_cases: bool, username: str) -> None:
    """Fire failing timers (step incidents) at once, without their back-off; exit 1 if any still fails."""
    if bool(case_no) == all_cases:
        _fail("请指定 --case 案件编号 或 --all")
    with store.unit_of_work(db.factory()) as sess:
        operator = _operator(sess, username)
        numbers = [case_no] if case_no else [n for inc, n in incidents.open_incidents(sess, operator, limit=10_000)
                                             if inc.kind == "timer"]
        try:
            ids = [incidents.check_can_retry_timer(sess, operator, n).id for n in numbers]
        except DomainError as err:
            _fail(err.message_zh)
    failed = sum(worker.fire_timers_of(case_id) is None for case_id in ids)
    click.echo(f"重试定时事件 {len(ids)} 件，仍未成功 {failed} 件")
    if failed:
        sys.exit(1)


@click.command("run-jobs")
@click.option("--seconds", type=float, default=None, help="start no new batch after this many seconds")
@with_appcontext
def run_jobs_cmd(seconds: float | None) -> None:
    """Run the queued background jobs (后台任务) until none is left; exit 1 if any failed."""
    report = worker.run_all_jobs(seconds)
    click.echo(f"后台任务：完成 {len(report.finished)} 件，失败 {len(report.failed)} 件，"
               f"未完成待续 {len(report.paused)} 件")
    if report.failed:
        sys.exit(1)


@click.command("audit-verify")
@click.option("--case", "case_no", default=None, help="one case number")
@click.option("--all", "all_cases", is_flag=True, help="every case")
@with_appcontext
def audit_verify(case_no: str | None, all_cases: bool) -> None:
    """Replay and verify cases; exit 1 on any divergence."""
    if bool(case_no) == all_cases:
        _fail("请指定 --case 案件编号 或 --all")
    sess, svc = db.session(), services.get()
    query = select(Case).order_by(Case.id) if all_cases else select(Case).where(Case.case_no == case_no)
    cases = list(sess.scalars(query))
    if not cases:
        _fail(f"未找到案件 {case_no}")
    failed = 0
    with click.progressbar(cases, label="重放验证", show_pos=True, file=sys.stderr) as bar:
        for case in bar:
            result = replay.verify_case(sess, case, svc.render, svc.store)
            if not result.verified:
                failed += 1
                click.echo(f"\n{case.case_no} 未通过：{json.dumps(result.as_dict(), ensure_ascii=False)}")
    click.echo(f"共验证 {len(cases)} 件，通过 {len(cases) - failed} 件，未通过 {failed} 件")
    if failed:
        sys.exit(1)


@click.command("audit-anchor")
@click.option("--check", is_flag=True, help="check every anchor instead of making one")
@with_appcontext
def audit_anchor(check: bool) -> None:
    """Anchor the heads of all case chains (run daily and print/keep the root), or check anchors."""
    if check:
        with store.unit_of_work(db.factory()) as sess:
            problems = anchors.check_all(sess)
        for problem in problems:
            click.echo(problem)
        click.echo(f"锚点检查：发现 {len(problems)} 处问题")
        if problems:
            sys.exit(1)
        return
    with store.unit_of_work(db.factory()) as sess:
        anchor = anchors.make_anchor(sess)
        click.echo(f"锚点 {anchor.id}：{anchor.at.isoformat()} 覆盖 {anchor.cases} 件案件，根哈希 {anchor.root}")


@click.command("compact")
@click.option("--limit", default=10_000, show_default=True, help="at most this many cases in one run")
@with_appcontext
def compact_cmd(limit: int) -> None:
    """Compact the snapshots of cases finished longer ago than the setting system.compact_after_days, and
    delete background jobs' result files older than system.job_result_days."""
    result = retention.compact(db.factory(), limit)
    click.echo(f"已压缩 {result.compacted} 件已办结案件的快照（{result.bytes_before} → {result.bytes_after} 字节），"
               f"跳过 {result.skipped} 件")
    click.echo(f"已删除 {worker.expire_job_results()} 个过期的后台任务结果文件")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_cmd(path: str) -> None:
    """Write the database and the document store to one archive (.tar.gz)."""
    manifest = backup.backup(db.engine(), services.get().store.root, Path(path))
    rows = sum(t["rows"] for t in manifest["tables"].values())
    files = len(manifest["documents"])
    click.echo(f"已备份：{rows} 行数据、{files} 个文书文件（结构版本 {manifest['revision']}）→ {path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_cmd(path: str) -> None:
    """Restore an archive into an empty database and document store, then replay-verify every case."""
    try:
        manifest = backup.restore(Path(path), db.engine(), services.get().store.root)
    except DomainError as err:
        _fail(f"恢复失败：{err.message_zh}")
    click.echo(f"已恢复（结构版本 {manifest['revision']}），正在逐案重放验证……")
    with store.unit_of_work(db.factory()) as sess:
        cases = list(sess.scalars(select(Case).order_by(Case.id)))
        svc = services.get()
        bad = [c.case_no for c in cases if not replay.verify_case(sess, c, svc.render, svc.store).verified]
    if bad:
        _fail(f"{len(bad)} 件案件验证未通过：{', '.join(bad[:20])}")
    click.echo(f"全部 {len(cases)} 件案件验证通过")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_db, seed_demo, create_user_cmd, tick, worker_cmd, retry_calls, retry_timers, audit_verify,
                    audit_anchor, compact_cmd, run_jobs_cmd,
                    backup_cmd, restore_cmd, process_upgrade, start_visits):
        app.cli.add_command(command)
