"""Dated, per-area settings: lookup and the reference defaults.

A value applies from its ``effective_from`` date in its area and every area below it (area codes
are prefixes: '' national → '64' province → '6401' city → '640104' county → 9-digit township).
The most specific area wins; within it, the latest date not after the day asked about.

Every step reads the settings in force for its area and day. The table is small and changes rarely,
so each process keeps it in memory as plain rows and, per (area, day), the values in force; before
using them it asks the database with one small query whether the table is still the same: the row count
and the sum of the rows' ``revision``, a random number the database draws again on every insert or
update (triggers, migration 0019), whoever writes. An administrator's change, in any process or on an
SQL console, is therefore seen by the very next view built anywhere; values are never read stale.
"""

import json
import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import NotFound
from .store import Setting

REFERENCE = Path(__file__).resolve().parent / "reference" / "settings.json"
_KEPT_TABLES = 4  # states of the table kept (a change leaves the old one unused)
_KEPT_VIEWS = 4096  # (area, day) views kept per state: replay of years of cases asks for many days


def area_chain(area_code: str) -> list[str]:
    """The area and its ancestors, most specific first: 640104001 → 640104, 6401, 64, ''."""
    chain = [area_code] if len(area_code) > 6 else []
    chain += [area_code[:n] for n in (6, 4, 2) if len(area_code) >= n]
    return [*dict.fromkeys(chain), ""]


# Built once: on the hot path (every step) building a statement costs more than running it.
_STAMP = select(func.count(), func.coalesce(func.sum(Setting.revision), 0))
_ROWS = select(Setting.key, Setting.area_code, Setting.effective_from, Setting.value, Setting.source, Setting.revision)


def _stamp(session: Session) -> tuple[int, int]:
    """What identifies the table's content: (rows, sum of revisions), with the session's own writes."""
    if session.autoflush:  # what session.execute would do (a caller's no_autoflush block is respected)
        session.flush()
    count, total = session.connection().execute(_STAMP).one()
    return int(count), int(total)


class _Table:
    """One state of the setting table, as plain rows, with the values in force per (area, day) worked out
    once (and kept, up to ``_KEPT_VIEWS``)."""

    def __init__(self, rows: list):
        self.rows = rows  # (key, area_code, effective_from, value, source)
        self._views: OrderedDict[tuple[str, date], dict] = OrderedDict()

    def in_force(self, area_code: str, on: date) -> dict[str, tuple[str, str]]:
        """key → (JSON value, source) of the rows in force for the area on the day (shared: not to be changed)."""
        with _lock:
            found = self._views.get((area_code, on))
            if found is not None:
                self._views.move_to_end((area_code, on))
                return found
        rank = {code: i for i, code in enumerate(area_chain(area_code))}
        best: dict[str, tuple] = {}
        for key, area, since, value, source in self.rows:
            if area not in rank or since > on:
                continue
            held = best.get(key)
            if held is None or (rank[area], -since.toordinal()) < (rank[held[0]], -held[1].toordinal()):
                best[key] = (area, since, value, source)
        found = {key: (value, source) for key, (_, _, value, source) in best.items()}
        with _lock:
            self._views[(area_code, on)] = found
            while len(self._views) > _KEPT_VIEWS:
                self._views.popitem(last=False)
        return found


_lock = threading.Lock()
_tables: OrderedDict[tuple[int, int], _Table] = OrderedDict()


def _table(session: Session) -> _Table:
    """The setting table as the database holds it now: from memory when its stamp is unchanged (one small
    query), else read whole (one query, whose rows also give the stamp they are kept under)."""
    stamp = _stamp(session)
    with _lock:
        table = _tables.get(stamp)
        if table is not None:
            _tables.move_to_end(stamp)
            return table
    rows = session.execute(_ROWS).all()
    table = _Table([tuple(row[:5]) for row in rows])
    with _lock:  # kept under the stamp of the rows read (the table may have changed since the first query)
        _tables[(len(rows), sum(int(row[5]) for row in rows))] = table
        while len(_tables) > _KEPT_TABLES:
            _tables.popitem(last=False)
    return table


class SettingsView:
    """All settings in force for one area on one day (checked fresh against the database, then from memory)."""

    def __init__(self, session: Session, area_code: str, on: date):
        self.area_code, self.on = area_code, on
        self._rows = _table(session).in_force(area_code, on)

    def get(self, key: str):
        """The value of ``key``; a missing setting is an error, never a silent default."""
        row = self._rows.get(key)
        if row is None:
            raise NotFound(
                f"缺少设置项 {key}（地区 {self.area_code}，日期 {self.on}）",
                f"Setting {key} is not defined for area {self.area_code} on {self.on}",
            )
        return json.loads(row[0])  # parsed each time: a caller may change what it gets

    def source(self, key: str) -> str:
        """Where the value in force comes from (for breakdowns and the auditor)."""
        row = self._rows.get(key)
        return row[1] if row else ""


def set_value(session: Session, key: str, area_code: str, effective_from: date, value, source: str) -> Setting:
    """Add (or correct, same key/area/date) a dated setting."""
    row = session.scalars(
        select(Setting).where(
            Setting.key == key, Setting.area_code == area_code, Setting.effective_from == effective_from
        )
    ).first()
    if row is None:
        row = Setting(key=key, area_code=area_code, effective_from=effective_from)
        session.add(row)
    row.value, row.source = json.dumps(value, ensure_ascii=False), source
    session.flush()
    return row


def load_reference(session: Session, path: Path = REFERENCE) -> int:
    """Add the reference defaults that are missing (never overwrites a value already stored).

    Returns:
        How many entries were added.
    """
    existing = {(r.key, r.area_code, r.effective_from) for r in session.scalars(select(Setting))}
    added = 0
    for item in json.loads(path.read_text(encoding="utf-8")):
        when = date.fromisoformat(item["from"])
        if (item["key"], item["area"], when) not in existing:
            set_value(session, item["key"], item["area"], when, item["value"], item["source"])
            added += 1
    return added
