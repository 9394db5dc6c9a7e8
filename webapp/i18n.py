"""Languages: Simplified Chinese first, English second (Flask-Babel)."""

from flask import Flask, request, session
from flask_babel import Babel

LOCALES = ("zh", "en")


def select_locale() -> str:
    """?lang= switches and is remembered in the session; Chinese is the default.

    The JSON API keeps no session: there ?lang= or Accept-Language decide, per request.
    """
    wanted = request.args.get("lang")
    if request.path.startswith("/api/"):
        return wanted if wanted in LOCALES else request.accept_languages.best_match(LOCALES, default="zh")
    if wanted in LOCALES:
        session["lang"] = wanted
    return session.get("lang", "zh")


def init_app(app: Flask) -> None:
    """Install Flask-Babel with the locale selector."""
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["current_locale"] = select_locale
