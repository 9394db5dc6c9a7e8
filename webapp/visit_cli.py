"""`flask start-visits [--month YYYY-MM] [--township CODE]`: schedule the month's 探访 now, as the worker does
once a day — each township's targets brought in line with the benefit register, and the month's visit case
started for every target that has none (registered with the other commands in ``webapp.cli``).

Only the current month (the domain clock's; ``tick --now`` sets it in tests): a visit case is due within its
month, and targets are synced as of today. Running it again starts nothing new.
"""

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from workflows import clock, rules, store, visit_cases, visits
from workflows.errors import DomainError
from workflows.store import Township

from . import db, services


@click.command("start-visits")
@with_appcontext
@click.option("--month", default=None, help="YYYY-MM; only the current month (the default)")
@click.option("--township", "township_code", default=None, help="one township (9-digit code); default: all")
def start_visits(month: str | None, township_code: str | None) -> None:
    """Schedule the month's visits to key people now (sync the targets, start the missing visit cases)."""
    current = rules.month_of(clock.today())
    try:
        if month is not None:
            visits.check_month(month)
    except DomainError as err:
        click.echo(err.message_zh, err=True)
        sys.exit(1)
    if month not in (None, current):
        click.echo(f"只能为本月（{current}）排期探访：探访在当月内完成，探访对象按今天的在保登记簿确定", err=True)
        sys.exit(1)
    with store.unit_of_work(db.factory()) as sess:
        codes = list(sess.scalars(select(Township.code).order_by(Township.code)))
    if township_code is not None and township_code not in codes:
        click.echo(f"没有乡镇（街道）{township_code}", err=True)
        sys.exit(1)
    total = 0
    for code in [township_code] if township_code else codes:
        done = visit_cases.schedule_township(db.factory(), code, services.get())
        total += done["started"]
        if any(done.values()):
            click.echo(f"{code}：探访对象新增 {done['added']} 人、结束 {done['ended']} 人；"
                       f"新排期探访 {done['started']} 件")
    click.echo(f"{current} 探访排期完成：新排期 {total} 件")
