"""Maps domain errors to responses in one place: HTML pages for people, JSON for the API."""

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from workflows.errors import Conflict, DomainError

STALE = Conflict("案件刚被其他人更新，请刷新后重试", "The case was just updated by someone else; reload and retry")


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _locale() -> str:
    return str(get_locale() or "zh")


def api_error(status: int, message: str, details: dict | None = None, code: str = "error"):
    """A JSON error body: {"error": {"code", "message", "details"}}."""
    return jsonify({"error": {"code": code, "message": message, "details": details or {}}}), status


def _domain(err: DomainError):
    if _is_api():
        return api_error(err.status, err.message(_locale()), err.details, err.code)
    if err.status in (404, 403) or request.method == "GET":  # a GET never redirects (no loops)
        return render_template("error.html", message=err.message(_locale()), status=err.status), err.status
    flash(err.message(_locale()), "error")
    return redirect(request.referrer or "/")


def _http(err: HTTPException):
    if _is_api():
        return api_error(err.code or 500, err.description or err.name, code=err.name.lower().replace(" ", "_"))
    return render_template("error.html", message=err.description, status=err.code), err.code


def _csrf(err: CSRFError):
    if _is_api():
        return api_error(400, err.description, code="csrf")
    msg = "页面已过期或表单重复提交，请刷新页面后重试" if _locale() == "zh" else "The page expired; reload and retry"
    return render_template("error.html", message=msg, status=400), 400


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(StaleDataError, lambda _e: _domain(STALE))
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
