"""Request input the database cannot hold, turned away before any view runs (web pages and API alike).

- An integer in a URL (``<int:…>``) must fit the database's INTEGER columns, where every id lives:
  a larger one names nothing, so the route does not match (404) instead of failing in the query
  (PostgreSQL: "integer out of range"; SQLite: an overflow).
- A NUL character (U+0000) is refused anywhere in a request: PostgreSQL text cannot store or even
  compare one. In the path it names nothing (404); in the query string, a posted form or a JSON
  body it is invalid data (422, with the parameter or field path in the details).
"""

from collections.abc import Iterator

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from workflows.errors import Invalid, NotFound

DB_INT_MAX = 2**31 - 1  # INTEGER (PostgreSQL int4), the type of every id column
NUL = "\x00"
NUL_MESSAGE = ("不能包含空字符（U+0000）", "must not contain a NUL character (U+0000)")


class DatabaseIntConverter(IntegerConverter):
    """``<int:…>`` limited to what an INTEGER column holds (0 … 2³¹−1)."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None,  # werkzeug's argument names
                 max: int | None = DB_INT_MAX, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _nul_paths(value, path: str = "") -> Iterator[str]:
    """The paths (``members.2.name``) of the keys and strings in ``value`` that hold a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield path or "_body"
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield where
            yield from _nul_paths(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{i}" if path else str(i))


def _refuse_nul() -> None:
    """Before every request: 404 for a NUL in the path, 422 for one in the parameters or the body."""
    if NUL in request.path:
        raise NotFound("未找到该页面", "Not found")
    found = [key for key, value in request.args.items(multi=True) if NUL in key + value]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        found += [key for key, value in request.form.items(multi=True) if NUL in key + value]
    elif request.path.startswith("/api/") and request.content_length:
        found += _nul_paths(request.get_json(force=True, silent=True))
    if found:
        zh, en = NUL_MESSAGE
        raise Invalid(f"提交的内容{zh}", f"The request {en}", {path.replace(NUL, "\\0"): zh for path in found})


def init_app(app: Flask) -> None:
    """Bound ``<int:…>`` URL parts and refuse NUL characters (before the blueprints add their routes)."""
    app.url_map.converters["int"] = DatabaseIntConverter
    app.before_request(_refuse_nul)
