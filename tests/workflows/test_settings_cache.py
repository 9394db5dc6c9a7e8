"""The settings each process keeps in memory (``workflows.settings``) are never used stale.

A change to the setting table, by an administrator in another process, by an SQL console, by a delete,
is seen by the very next step anywhere: the database redraws a row's ``revision`` on every write
(triggers of migration 0019) and every view first checks the table's (row count, sum of revisions).
"""

import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import delete, event, insert, text, update

from tests import factories as f
from tests.drive import case_row, do, start
from workflows import rules, settings
from workflows.store import Setting, unit_of_work

ROOT = Path(__file__).resolve().parents[2]
TOWN = "640104001"
KEY = "dibao.deadline.case_wd"  # read by the acceptance (start_clock): the case's 30-working-day limit

_CHANGE_IN_ANOTHER_PROCESS = """
import sys
from datetime import date
from workflows import settings, store
engine = store.make_engine(sys.argv[1])
with store.unit_of_work(store.make_session_factory(engine)) as sess:
    settings.set_value(sess, sys.argv[2], sys.argv[3], date.fromisoformat(sys.argv[4]), int(sys.argv[5]), "admin")
engine.dispose()
"""


def _stamp(factory) -> tuple[int, int]:
    with unit_of_work(factory) as sess:
        return settings._stamp(sess)


def _case_limit(factory, case_no: str) -> int:
    """The working days from acceptance to the case's deadline, as the acceptance step worked them out."""
    case = case_row(factory, case_no)
    return rules.working_days_between(case.applied_on, case.case_deadline)


def _applications(factory, services, n: int) -> list[str]:
    return [start(factory, services, f.registration(members=[f.member(f"缓存{i}", date(1960, 1, 1 + i), seq=20 + i)]))
            for i in range(n)]


def test_the_database_redraws_the_stamp_on_every_write_whoever_writes(factory):
    before = _stamp(factory)
    assert before == _stamp(factory)  # reading changes nothing
    row = {"key": "test.value", "area_code": TOWN, "effective_from": date(2026, 1, 1), "value": "1", "source": ""}
    steps = [
        insert(Setting).values(**row),
        update(Setting).where(Setting.key == "test.value").values(value="2"),  # a correction in place
        update(Setting).where(Setting.key == "test.value").values(revision=0),  # even the revision itself
        update(Setting).where(Setting.key == "test.value").values(value="2"),  # the same value written again
        delete(Setting).where(Setting.key == "test.value"),
    ]
    seen = [before]
    for statement in steps:
        with factory.kw["bind"].begin() as conn:  # a plain connection: no ORM, no application code
            conn.execute(statement)
        seen.append(_stamp(factory))
    assert len(set(seen[:-1])) == len(seen) - 1, seen  # every write gave a stamp never seen before …
    assert seen[-1] == before  # … but the delete: the table holds what it held before, row for row
    with factory.kw["bind"].connect() as conn:  # no row is left at the column's default: the triggers drew them
        assert conn.scalar(text("SELECT count(*) FROM setting WHERE revision = 0")) == 0


def test_a_view_from_memory_costs_one_small_query(factory, at_monday):
    statements = []
    engine = factory.kw["bind"]

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with unit_of_work(factory) as sess:
        settings.SettingsView(sess, TOWN, at_monday.date())  # fills this process's memory
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with unit_of_work(factory) as sess:
            view = settings.SettingsView(sess, TOWN, at_monday.date())
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 1 and "sum" in statements[0].lower(), statements
    assert view.get(KEY) == 30 and view.source(KEY)


def test_an_administrators_change_in_another_process_is_seen_by_the_very_next_step(db_url, factory, services,
                                                                                   at_monday):
    first, second, third, fourth = _applications(factory, services, 4)  # each start read the settings
    do(factory, services, first, "clerk-001", f.accept())
    assert _case_limit(factory, first) == 30
    # another process (a second gunicorn worker, the CLI) adds a township's own limit from today
    subprocess.run([sys.executable, "-c", _CHANGE_IN_ANOTHER_PROCESS, db_url, KEY, TOWN,
                    at_monday.date().isoformat(), "12"], cwd=ROOT, check=True, timeout=120)
    do(factory, services, second, "clerk-001", f.accept())
    assert _case_limit(factory, second) == 12
    # corrected in place on an SQL console: same row, new value
    with factory.kw["bind"].begin() as conn:
        conn.execute(update(Setting).where(Setting.key == KEY, Setting.area_code == TOWN).values(value="15"))
    do(factory, services, third, "clerk-001", f.accept())
    assert _case_limit(factory, third) == 15
    # removed again: the district's limit applies
    with factory.kw["bind"].begin() as conn:
        conn.execute(delete(Setting).where(Setting.key == KEY, Setting.area_code == TOWN))
    do(factory, services, fourth, "clerk-001", f.accept())
    assert _case_limit(factory, fourth) == 30


def test_a_change_in_the_steps_own_transaction_is_seen_and_forgotten_on_rollback(factory, at_monday):
    today = at_monday.date()
    with unit_of_work(factory) as sess:
        assert settings.SettingsView(sess, TOWN, today).get(KEY) == 30
    sess = factory()
    try:
        settings.set_value(sess, KEY, TOWN, today, 7, "not kept")
        assert settings.SettingsView(sess, TOWN, today).get(KEY) == 7  # its own uncommitted write
        sess.rollback()
    finally:
        sess.close()
    with unit_of_work(factory) as sess:
        assert settings.SettingsView(sess, TOWN, today).get(KEY) == 30
