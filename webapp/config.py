"""Configuration: defaults → instance/config.py → environment → the mapping given to create_app."""

import os
import secrets
from pathlib import Path

ENV_KEYS = {
    "DATABASE_URL": "DATABASE_URL",
    "SECRET_KEY": "SECRET_KEY",
    "DIBAO_DATA_DIR": "DIBAO_DATA_DIR",
    "DIBAO_TESTING": "DIBAO_TESTING",
    "DIBAO_PUBLIC_URL": "DIBAO_PUBLIC_URL",
    "DIBAO_SIM_FAILING_SOURCES": "DIBAO_SIM_FAILING_SOURCES",
    "MAX_CONTENT_LENGTH": "DIBAO_MAX_REQUEST_BYTES",
    "DIBAO_DAILY_ANCHOR": "DIBAO_DAILY_ANCHOR",
    "DIBAO_VISIT_SCHEDULE": "DIBAO_VISIT_SCHEDULE",
}


def defaults(instance_path: Path) -> dict:
    """Settings that work on a fresh clone: SQLite and documents in the instance folder."""
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'dibao.sqlite3'}",
        "DIBAO_DATA_DIR": str(instance_path / "data"),
        "DIBAO_TESTING": False,
        "DIBAO_PUBLIC_URL": "http://127.0.0.1:5000",  # printed in the QR code of every document
        # 核对 data sources the local simulator reports as down (demos and tests of the incident path)
        "DIBAO_SIM_FAILING_SOURCES": (),
        "DIBAO_DAILY_ANCHOR": True,  # the timer worker anchors every case chain once a day
        "DIBAO_VISIT_SCHEDULE": True,  # the timer worker schedules each township's 探访 once a day
        "BABEL_DEFAULT_LOCALE": "zh",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # one working day
        "API_TOKEN_HOURS": 12,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # Largest request body (an attachment upload with its form): refused with 413 before it is read.
        # Keep it above the setting attachment.max_bytes (10 MB) plus room for the multipart envelope.
        "MAX_CONTENT_LENGTH": 11 * 1024 * 1024,
    }


def from_environment() -> dict:
    """Values set in the environment (DIBAO_TESTING as a boolean, failing sources as a tuple)."""
    values = {key: os.environ[env] for key, env in ENV_KEYS.items() if env in os.environ}
    if "DIBAO_TESTING" in values:
        values["DIBAO_TESTING"] = values["DIBAO_TESTING"] not in ("", "0", "false")
    for flag in ("DIBAO_DAILY_ANCHOR", "DIBAO_VISIT_SCHEDULE"):
        if flag in values:
            values[flag] = values[flag] not in ("", "0", "false")
    if "MAX_CONTENT_LENGTH" in values:
        values["MAX_CONTENT_LENGTH"] = int(values["MAX_CONTENT_LENGTH"])
    if "DIBAO_SIM_FAILING_SOURCES" in values:
        values["DIBAO_SIM_FAILING_SOURCES"] = failing_sources(values["DIBAO_SIM_FAILING_SOURCES"])
    return values


def failing_sources(value) -> tuple[str, ...]:
    """``"tax, vehicle"`` (or a list) as ``("tax", "vehicle")``."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return tuple(item.strip() for item in items if item and item.strip())


def secret_key(instance_path: Path) -> str:
    """A persistent random key for a development instance (production sets SECRET_KEY)."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
