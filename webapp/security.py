"""CSRF protection for every form and security headers on every response."""

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

HSTS = "max-age=31536000; includeSubDomains"
_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


# bpmn-js sets style attributes on the SVG it draws: the diagram page allows inline styles only.
_CSP_DIAGRAM = _CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def _headers(response: Response) -> Response:
    diagram = request.endpoint == "cases.diagram"
    response.headers.setdefault("Content-Security-Policy", _CSP_DIAGRAM if diagram else _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:  # over TLS (directly, or a proxy's X-Forwarded-Proto that gunicorn trusts)
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Enable CSRF tokens and the headers."""
    if app.config.get("TESTING") and "WTF_CSRF_ENABLED" not in app.config:
        app.config["WTF_CSRF_ENABLED"] = True
    csrf.init_app(app)
    app.after_request(_headers)
