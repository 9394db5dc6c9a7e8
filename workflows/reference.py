"""Reference data shipped with the product: township units and the default settings."""

import json
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from . import settings
from .store import Township

TOWNSHIPS = Path(__file__).resolve().parent / "reference" / "townships.json"


def load_townships(session: Session, path: Path = TOWNSHIPS) -> int:
    """Add missing township units; returns how many units the file lists."""
    ref = json.loads(path.read_text(encoding="utf-8"))
    county = ref["county"]
    for code, name, kind in ref["units"]:
        if session.get(Township, code) is None:
            session.add(Township(
                code=code, name=name, kind=kind, county_code=county["code"], county_name=county["name"],
                county_gov=county["gov"], valid_from=date.fromisoformat(ref["valid_from"]),
            ))
    session.flush()
    return len(ref["units"])


def load(session: Session) -> tuple[int, int]:
    """Townships and settings; returns (units listed, settings added)."""
    return load_townships(session), settings.load_reference(session)
