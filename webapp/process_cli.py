"""`flask process-upgrade PATH... [--dry-run] [--migrate]`: load a new process version and move the running
cases that can move (registered with the other commands in ``webapp.cli``).

Exit status: 0 done; 1 the files were refused (nothing loaded); 2 running cases stay (or, with
``--dry-run``, would stay) on an older version.
"""

import sys
import unicodedata
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from workflows import upgrades
from workflows.errors import DomainError
from workflows.store import User

from . import db

SUFFIXES = (".bpmn", ".dmn", ".json")
STAYED = 2


def read_files(paths: tuple[str, ...]) -> dict[str, bytes]:
    """The files to load: each file given, and every .bpmn, .dmn and form .json under each folder given.

    A form keeps the name of its folder (``forms/dibao_application/accept.json`` → its process).
    """
    files = {}
    for raw in paths:
        path = Path(raw)
        found = [(p, p.relative_to(path).as_posix()) for p in sorted(path.rglob("*"))] if path.is_dir() else \
            [(path, path.name if path.suffix != ".json" else f"{path.resolve().parent.name}/{path.name}")]
        for item, name in found:
            if item.is_file() and item.suffix in SUFFIXES and not item.name.startswith("_"):
                files[name] = item.read_bytes()
    return files


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[list[str]]) -> None:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip())


def _show(loaded: upgrades.Loaded, plan: upgrades.Plan) -> None:
    changes = loaded.changes
    click.echo(f"\n流程 {plan.process_id}：新版本 {plan.target[:12]}（替换 {loaded.replaces[:12]}）")
    click.echo(f"  修改的环节：{'、'.join(changes.changed) or '—'}；新增：{'、'.join(changes.added) or '—'}；"
               f"删除：{'、'.join(changes.removed) or '—'}；表单：{'、'.join(changes.forms) or '—'}")
    if not plan.cases:
        click.echo("  没有在其他版本上办理中的案件")
        return
    rows = [["案件编号", "状态", "当前版本", "结论", "说明"]]
    for c in plan.cases:
        note = ("重新开始：" + "、".join(c.restarted) if c.restarted else "") if c.movable else "；".join(c.reasons)
        rows.append([c.case_no, c.status, c.from_hash[:12], "可迁移" if c.movable else "不能迁移", note])
    _table(rows)
    click.echo(f"  可迁移 {len(plan.movable)} 件，不能迁移 {len(plan.blocked)} 件")


def _load(files: dict[str, bytes], username: str, dry_run: bool) -> tuple[User, list, list]:
    session = db.factory()()
    try:
        admin = session.scalars(select(User).where(User.username == username)).first()
        if admin is None or admin.role != "admin":
            raise DomainError(f"{username} 不是系统管理员账号", f"{username} is not an administrator")
        loaded = upgrades.load_version(session, files, admin)
        plans = [upgrades.plan(session, x.version.process_id, x.version.hash) for x in loaded]
        if dry_run:
            session.rollback()  # the dry run loads nothing
        else:
            session.commit()
        return admin, loaded, plans
    finally:
        session.close()


@click.command("process-upgrade")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="load nothing and move nothing; print what would happen")
@click.option("--migrate", "do_migrate", is_flag=True, help="also move the running cases that can move")
@click.option("--user", "username", default="admin", show_default=True, help="the administrator's account")
@with_appcontext
def process_upgrade(paths: tuple[str, ...], dry_run: bool, do_migrate: bool, username: str) -> None:
    """Load a new process version (BPMN, DMN, forms) and print which running cases can move to it.

    Exit 1 if the files are refused, 2 if running cases stay (or would stay) on an older version.
    """
    try:
        admin, loaded, plans = _load(read_files(paths), username, dry_run)
    except DomainError as err:
        click.echo(f"未载入：{err.message_zh}", err=True)
        sys.exit(1)
    done = "预演（未作任何改动）" if dry_run else "已载入新版本，新登记的案件将使用新版本"
    click.echo(f"{done}：{len(loaded)} 个流程")
    stayed = 0
    for item, plan in zip(loaded, plans, strict=True):
        _show(item, plan)
        stayed += len(plan.blocked)
        if do_migrate and not dry_run and plan.movable:
            results = upgrades.migrate(db.factory(), plan, admin)
            failed = [r for r in results if not r.movable]
            for r in failed:
                click.echo(f"  {r.case_no} 未迁移：{'；'.join(r.reasons)}")
            stayed += len(failed)
            click.echo(f"  已迁移 {len(results) - len(failed)} 件")
    if (dry_run or do_migrate) and stayed:
        sys.exit(STAYED)
