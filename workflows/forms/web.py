"""HTML forms: decode a post into a submission, and the values a task form starts with.

No Flask here: a post is anything with ``get(key)``, ``getlist(key)`` and iteration over its
keys (werkzeug's ``MultiDict`` is one). Table cells are named ``<table>.<row>.<column>``
(``members.0.name``); a multiselect posts one value per ticked box; an unticked checkbox posts
nothing, which means False.
"""

import re
from collections.abc import Mapping

from .coerce import FALSE_WORDS
from .definitions import Form
from .fieldtypes import empty_value

_CELL = re.compile(r"^([a-z][a-z0-9_]*)\.([0-9]{1,4})\.([a-z][a-z0-9_]*)$")


def decode_web_form(form: Form, post, context: Mapping | None = None) -> dict:
    """Turn an HTML form post into the nested data :func:`validate_submission` takes.

    Only the form's own fields are read (other keys, like ``csrf_token``, are ignored). Rows of a
    table that are entirely empty are dropped and the rest renumbered, except in ``rows_from``
    tables, whose rows stand for the task data's items.

    Args:
        form: The form that was posted.
        post: The posted fields (``MultiDict``-like).
        context: The task data, if known: readonly values are then filled in for redisplay
            (validation takes them from the task data in any case) and a ``rows_from`` table gets
            one row per item even if a row posted nothing.

    Returns:
        The submission; values stay strings (booleans are bools, multiselects lists).
    """
    context = context if isinstance(context, Mapping) else {}
    out = {}
    for field in form.fields:
        name = field["name"]
        if field["type"] == "table":
            out[name] = _decode_table(field, post, context)
        elif field.get("readonly"):
            if name in context:
                out[name] = context[name]
        else:
            value = _decode_value(field, post, name)
            if value is not None:
                out[name] = value
    return out


def _decode_value(field: dict, post, key: str):
    if field["type"] == "multiselect":
        return [v for v in post.getlist(key) if isinstance(v, str)]
    if field["type"] == "boolean":
        return any(isinstance(v, str) and v.strip().lower() not in FALSE_WORDS for v in post.getlist(key))
    value = post.get(key)
    return value if isinstance(value, str) else None


def _row_indexes(name: str, post) -> set[int]:
    found = set()
    for key in post:
        match = _CELL.match(key) if isinstance(key, str) else None
        if match and match.group(1) == name:
            found.add(int(match.group(2)))
    return found


def _decode_table(table: dict, post, context: Mapping) -> list[dict]:
    name, rows_from = table["name"], table.get("rows_from")
    source = _source(table, context)
    rows = []
    for i in sorted(_row_indexes(name, post) | set(range(len(source)))):
        origin = source[i] if i < len(source) else {}
        row = {}
        for column in table["columns"]:
            col = column["name"]
            if column.get("readonly"):
                if col in origin:
                    row[col] = origin[col]
                continue
            value = _decode_value(column, post, f"{name}.{i}.{col}")
            if value is not None:
                row[col] = value
        if rows_from or not all(_is_blank(v) for v in row.values()):
            rows.append(row)
    return rows


def _is_blank(value) -> bool:
    """Nothing entered: no value, an unticked box, no choice, or only spaces."""
    if value is None or value is False or value == []:
        return True
    return isinstance(value, str) and not value.strip()


def _source(table: dict, context: Mapping) -> list[Mapping]:
    """The items a ``rows_from`` table stands for ([] for other tables); non-objects count as {}."""
    items = context.get(table["rows_from"]) if "rows_from" in table else None
    return [item if isinstance(item, Mapping) else {} for item in items] if isinstance(items, list) else []


def _start(field: dict):
    """What a field shows when the task data has nothing for it."""
    return empty_value(field) if field["type"] in ("boolean", "multiselect") else None


def initial_values(form: Form, context: Mapping | None) -> dict:
    """The values a task form starts with, from the task data.

    A field shows the task data's value under its name (a task done again shows what was
    entered last time). A ``rows_from`` table has one row per item of its source list; a column
    takes the table's earlier value, else the source item's value under the same name, so the
    investigator starts from the declared figures.

    Args:
        form: The form.
        context: The task data ({} for a new case).

    Returns:
        Every field's starting value (None, False or [] when there is none).
    """
    context = context if isinstance(context, Mapping) else {}
    values = {}
    for field in form.fields:
        name = field["name"]
        if field["type"] != "table":
            values[name] = context.get(name, _start(field))
        elif "rows_from" in field:
            values[name] = _initial_rows_from(field, context)
        else:
            rows = context.get(name)
            rows = rows if isinstance(rows, list) else []
            values[name] = [_pick(field["columns"], row) for row in rows if isinstance(row, Mapping)]
    return values


def _pick(columns: list[dict], *sources: Mapping) -> dict:
    """Each column's value from the first source that has it."""
    row = {}
    for column in columns:
        col = column["name"]
        row[col] = next((s[col] for s in sources if col in s), _start(column))
    return row


def _initial_rows_from(table: dict, context: Mapping) -> list[dict]:
    source = _source(table, context)
    before = context.get(table["name"])
    before = before if isinstance(before, list) and len(before) == len(source) else [{}] * len(source)
    readonly = {c["name"] for c in table["columns"] if c.get("readonly")}
    rows = []
    for item, earlier in zip(source, before, strict=True):
        entered = {k: v for k, v in earlier.items() if k not in readonly} if isinstance(earlier, Mapping) else {}
        rows.append(_pick(table["columns"], entered, item))
    return rows
