"""Languages: Simplified Chinese first, English second (Flask-Babel).

Chinese is the source language: every msgid in ``webapp/translations/messages.pot`` is the Chinese
text, and only English has a catalogue (``webapp/translations/en/LC_MESSAGES/messages.po``, compiled
to ``messages.mo`` by ``make setup``). ``babel.cfg`` extracts the templates, the web layer's Python,
the labels the engine marks with ``N_`` and the names of the BPMN steps (``extract_bpmn``).
"""

from collections.abc import Iterator
from typing import IO

from flask import Flask, g, request, session
from flask_babel import Babel, get_translations
from lxml import etree

LOCALES = ("zh", "en")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


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


def _remember_choice() -> None:
    """Keep a ?lang= choice even when the page asked for redirects before anything was translated."""
    if request.args.get("lang") in LOCALES and not request.path.startswith("/api/"):
        session["lang"] = request.args["lang"]


def catalogue():
    """The request's catalogue (``flask_babel.get_translations()``), found once per request.

    Flask-Babel finds it again on every call (its context, the locale, a cache lookup: ~7 µs), and a page
    translates hundreds of labels (the queue: ~250), so it is kept on ``g`` beside the locale Flask-Babel
    itself keeps there for the request (issue 7 P4).
    """
    try:
        return g.dibao_catalogue
    except AttributeError:
        g.dibao_catalogue = found = get_translations()
        return found


def translated(text):
    """A Chinese label from data (a status, a BPMN step name) in the user's language.

    Text that is not in the catalogue, and empty text, is returned as it is.
    """
    return catalogue().ugettext(text) if isinstance(text, str) and text else text


def _shown_step(element) -> bool:
    """A BPMN element whose name people see: a task, an event, a subprocess or the process itself."""
    local = etree.QName(element).localname
    return local.endswith(("Task", "Event")) or local in ("subProcess", "process")


def extract_bpmn(fileobj: IO[bytes], keywords, comment_tags, options) -> Iterator[tuple]:
    """A Babel extractor for the process files: the name of every BPMN step, and the description of
    every DMN rule (the required-materials table labels its materials so), each with its id as a comment.

    The case history and the task queues show the step names (``human_task.title``, the history rows)
    and the case page the material labels, so the English catalogue translates them like any other label.
    """
    tree = etree.parse(fileobj, etree.XMLParser(resolve_entities=False, no_network=True))
    for element in tree.iter(f"{{{BPMN_NS}}}*"):
        name = (element.get("name") or "").strip()
        if name and _shown_step(element):
            yield element.sourceline, None, name, [f"BPMN {etree.QName(element).localname} {element.get('id')}"]
    for rule in tree.iter("{*}rule"):
        text = (rule.findtext("{*}description") or "").strip()
        if text:
            yield rule.sourceline, None, text, [f"DMN rule {rule.get('id')}"]


def init_app(app: Flask) -> None:
    """Install Flask-Babel with the locale selector and the ``translated`` filter."""
    Babel(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # Flask-Babel's, with the catalogue found once per request
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.before_request(_remember_choice)
    app.jinja_env.globals["current_locale"] = select_locale
    app.jinja_env.filters["translated"] = translated
