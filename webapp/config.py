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
}


def defaults(instance_path: Path) -> dict:
    """Settings that work on a fresh clone: SQLite and documents in the instance folder."""
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'dibao.sqlite3'}",
        "DIBAO_DATA_DIR": str(instance_path / "data"),
        "DIBAO_TESTING": False,
        "DIBAO_PUBLIC_URL": "http://127.0.0.1:5000",  # printed in the QR code of every document
        "BABEL_DEFAULT_LOCALE": "zh",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # one working day
        "API_TOKEN_HOURS": 12,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    }


def from_environment() -> dict:
    """Values set in the environment (DIBAO_TESTING as a boolean)."""
    values = {key: os.environ[env] for key, env in ENV_KEYS.items() if env in os.environ}
    if "DIBAO_TESTING" in values:
        values["DIBAO_TESTING"] = values["DIBAO_TESTING"] not in ("", "0", "false")
    return values


def secret_key(instance_path: Path) -> str:
    """A persistent random key for a development instance (production sets SECRET_KEY)."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
