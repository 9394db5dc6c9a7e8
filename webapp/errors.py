"""Maps domain errors to responses in one place: HTML pages for people, JSON for the API."""

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from workflows import incidents
from workflows.errors import Conflict, DomainError, StepFailed
from workflows.store import unit_of_work

from . import db

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


def record_incident(err: StepFailed) -> None:
    """Roll the failed step back and record its incident in a transaction of its own."""
    db.session().rollback()
    with unit_of_work(db.factory()) as sess:
        incidents.record(sess, err)
    current_app.logger.warning("step failed, incident recorded: %s", err.error)


def _step_failed(err: StepFailed):
    record_incident(err)
    return _domain(err)


def _http(err: HTTPException):
    if _is_api():
        return api_error(err.code or 500, err.description or err.name, code=err.name.lower().replace(" ", "_"))
    return render_template("error.html", message=err.description, status=err.code), err.code


def _csrf(err: CSRFError):
    if _is_api():
        return api_error(400, err.description, code="csrf")
    msg = gettext("页面已过期或表单重复提交，请刷新页面后重试")
    return render_template("error.html", message=msg, status=400), 400


def _too_large(_err: RequestEntityTooLarge):
    """A body above MAX_CONTENT_LENGTH, refused before it is read (an oversized upload)."""
    limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 1048576
    msg = gettext("上传的内容过大（一次不能超过 %(limit)s MB），请压缩扫描件或分开上传", limit=round(limit))
    if _is_api():
        return api_error(413, msg, code="too_large")
    return render_template("error.html", message=msg, status=413), 413


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(StepFailed, _step_failed)
    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(StaleDataError, lambda _e: _domain(STALE))
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http)
