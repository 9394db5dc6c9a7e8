"""Bearer tokens: ``POST /tokens`` issues one; every other endpoint checks it.

Only the SHA-256 of a token is stored (``workflows.store.ApiToken``), so a copy of the database
gives no usable tokens. Tokens expire after ``API_TOKEN_HOURS``. Flask-Login sessions play no part.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, request
from sqlalchemy import delete, select

from workflows import clock
from workflows.errors import Invalid
from workflows.store import ApiToken, User

from .. import db
from ..auth import authenticate
from ..errors import api_error
from . import bp
from .body import json_object
from .serialize import iso

PUBLIC_ENDPOINTS = frozenset({"api.create_token", "api.openapi"})
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _unauthorized(message: str):
    response, status = api_error(401, message, code="unauthorized")
    response.headers["WWW-Authenticate"] = 'Bearer realm="dibao"'
    return response, status


def api_user() -> User:
    """The account the request's bearer token belongs to."""
    return g.api_user


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _user_for(token: str) -> User | None:
    sess = db.session()
    row = sess.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None or row.expires_at <= clock.now():
        return None
    user = sess.get(User, row.user_id)
    return user if user is not None and user.active else None


@bp.before_request
def _authenticate():
    """Load the user of the bearer token, or answer 401 (public endpoints excepted)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = _bearer_token()
    if token is None:
        return _unauthorized("需要 Authorization: Bearer <token>（先 POST /api/v1/tokens 获取）")
    user = _user_for(token)
    if user is None:
        return _unauthorized("令牌无效或已过期，请重新获取")
    g.api_user = user
    return None


def _credentials() -> tuple[str, str]:
    body = json_object()
    errors = {key: "必须是非空字符串" for key in ("username", "password") if not _text(body.get(key))}
    errors.update({key: "不支持的字段" for key in body if key not in ("username", "password")})
    if errors:
        raise Invalid("请提供用户名和密码", "username and password are required", errors)
    return body["username"].strip(), body["password"]


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


@bp.route("/tokens", methods=["POST"])
def create_token():
    """Exchange a username and password for a bearer token (failed attempts count toward a lock)."""
    username, password = _credentials()
    user = authenticate(username, password, channel="api")
    if user is None:
        return _unauthorized("用户名或密码错误，或账号已锁定")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    expires_at = now + timedelta(hours=current_app.config["API_TOKEN_HOURS"])
    sess = db.session()
    sess.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at <= now))
    sess.add(ApiToken(token_hash=token_hash(token), user_id=user.id, expires_at=expires_at))
    db.commit()
    return {"token": token, "token_type": "Bearer", "expires_at": iso(expires_at)}, 201
