"""Reading request bodies and query parameters of the JSON API."""

from flask import request
from flask_babel import get_locale
from werkzeug.exceptions import BadRequest

from workflows.errors import Invalid
from workflows.forms import FORM_KEY
from workflows.queries import MAX_PAGE


def json_body():
    """The parsed JSON body (any JSON value); 400 if the body is not JSON at all."""
    data = request.get_json(force=True, silent=True)
    if data is None:
        raise BadRequest("请求体必须是 JSON / The request body must be JSON")
    return data


def json_object() -> dict:
    """The JSON body, which must be an object (422 otherwise)."""
    data = json_body()
    if not isinstance(data, dict):
        raise Invalid("请求体必须是 JSON 对象", "The request body must be a JSON object", {FORM_KEY: "not an object"})
    return data


def page_arg() -> int:
    """The ``page`` query parameter (1 … ``queries.MAX_PAGE``, 1 by default); 422 if malformed or too large."""
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise Invalid(f"page 必须是 1 到 {MAX_PAGE} 之间的整数", f"page must be an integer from 1 to {MAX_PAGE}",
                      {"page": f"1 … {MAX_PAGE}"})
    return int(raw)


def locale() -> str:
    """The language of messages (``?lang=en`` for English; Chinese by default)."""
    return str(get_locale() or "zh")
