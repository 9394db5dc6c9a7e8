"""Reading request bodies and query parameters of the JSON API."""

from flask import request
from flask_babel import get_locale
from werkzeug.exceptions import BadRequest

from workflows.errors import Invalid
from workflows.forms import FORM_KEY


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
    """The ``page`` query parameter (a positive integer, 1 by default); 422 if malformed."""
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise Invalid("page 必须是正整数", "page must be a positive integer", {"page": "must be a positive integer"})
    return int(raw)


def locale() -> str:
    """The language of messages (``?lang=en`` for English; Chinese by default)."""
    return str(get_locale() or "zh")
