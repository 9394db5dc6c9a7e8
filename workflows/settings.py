"""Dated, per-area settings: lookup and the reference defaults.

A value applies from its ``effective_from`` date in its area and every area below it (area codes
are prefixes: '' national → '64' province → '6401' city → '640104' county → 9-digit township).
The most specific area wins; within it, the latest date not after the day asked about.
"""

import json
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .store import Setting

REFERENCE = Path(__file__).resolve().parent / "reference" / "settings.json"


def area_chain(area_code: str) -> list[str]:
    """The area and its ancestors, most specific first: 640104001 → 640104, 6401, 64, ''."""
    chain = [area_code] if len(area_code) > 6 else []
    chain += [area_code[:n] for n in (6, 4, 2) if len(area_code) >= n]
    return [*dict.fromkeys(chain), ""]


class SettingsView:
    """All settings in force for one area on one day, read with one query."""

    def __init__(self, session: Session, area_code: str, on: date):
        self.area_code, self.on = area_code, on
        chain = area_chain(area_code)
        rank = {code: i for i, code in enumerate(chain)}
        rows = session.scalars(
            select(Setting).where(Setting.area_code.in_(chain), Setting.effective_from <= on)
        ).all()
        best: dict[str, Setting] = {}
        for row in rows:
            held = best.get(row.key)
            if held is None or (rank[row.area_code], -row.effective_from.toordinal()) < (
                rank[held.area_code], -held.effective_from.toordinal()
            ):
                best[row.key] = row
        self._rows = best

    def get(self, key: str):
        """The value of ``key``; a missing setting is an error, never a silent default."""
        row = self._rows.get(key)
        if row is None:
            raise NotFound(
                f"缺少设置项 {key}（地区 {self.area_code}，日期 {self.on}）",
                f"Setting {key} is not defined for area {self.area_code} on {self.on}",
            )
        return json.loads(row.value)

    def source(self, key: str) -> str:
        """Where the value in force comes from (for breakdowns and the auditor)."""
        row = self._rows.get(key)
        return row.source if row else ""


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
