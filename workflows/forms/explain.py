"""Turn jsonschema errors about a coerced submission into one message per field path.

Paths are dotted: ``applicant_phone``, ``materials`` (a multiselect, whichever item was wrong),
``members.2.id_no`` (a table cell), ``members`` (the table as a whole).
"""

from collections.abc import Callable, Mapping

from jsonschema import ValidationError

from .definitions import localized
from .fieldtypes import option_label, parse_money
from .messages import message

_TYPE_MESSAGES = {
    "integer": "integer", "money": "money", "date": "date", "phone": "phone", "id_number": "id_number",
    "boolean": "boolean", "multiselect": "list", "table": "list", "select": "option",
    "text": "text", "textarea": "text",
}
_FORMAT_MESSAGES = {"date": "date", "decimal": "money", "id-number": "id_number"}


def _by_name(fields: list[dict], name) -> dict | None:
    return next((f for f in fields if f["name"] == name), None)


def locate(fields: list[dict], path: list) -> tuple[str, dict | None]:
    """The field path key of a schema path and the field (or column) it names (None if none)."""
    if not path:
        return "", None
    top = _by_name(fields, path[0])
    if top is None or top["type"] != "table" or len(path) == 1:
        return str(path[0]), top
    if len(path) < 3 or not isinstance(path[1], int):
        return ".".join(str(p) for p in path[:2]), None
    return ".".join(str(p) for p in path[:3]), _by_name(top["columns"], path[2])


def describe(fields: list[dict], error: ValidationError, locale: str) -> list[tuple[str, str]]:
    """The (path, message) pairs for one jsonschema error (several for missing or unknown keys)."""
    path = list(error.absolute_path)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, Mapping) else {}
        missing = [name for name in error.validator_value if name not in present]
        return [_missing(*locate(fields, [*path, name]), locale) for name in missing]
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        extra = [key for key in error.instance if key not in allowed]
        return [(".".join(str(p) for p in [*path, key]), message("unknown", locale)) for key in extra]
    key, field = locate(fields, path)
    if field is None:
        row = path[1] + 1 if len(path) == 2 and isinstance(path[1], int) else None
        return [(key, message("row", locale, row=row) if row else message("unknown", locale))]
    explain = _EXPLAINERS.get(error.validator, _invalid)
    return [(key, explain(error, field, locale))]


def _missing(key: str, field: dict | None, locale: str) -> tuple[str, str]:
    label = localized(field["label"], locale) if field else key
    kind = "choose" if field and field["type"] == "select" else "fill"
    return key, message(kind, locale, label=label)


def _label(field: dict, locale: str) -> str:
    return localized(field["label"], locale)


def _invalid(_error, field: dict, locale: str) -> str:
    return message("invalid", locale, label=_label(field, locale))


def _type(_error, field: dict, locale: str) -> str:
    return message(_TYPE_MESSAGES.get(field["type"], "list"), locale, label=_label(field, locale))


def _pattern(_error, field: dict, locale: str) -> str:
    if field["type"] in ("money", "phone", "id_number"):
        return message(field["type"], locale)
    if "pattern_message" in field:
        return localized(field["pattern_message"], locale)
    return message("pattern", locale, label=_label(field, locale))


def _format(error, field: dict, locale: str) -> str:
    cause = error.cause
    own = getattr(cause, "message_en" if str(locale).lower().startswith("en") else "message_zh", None)
    if own:
        return own
    return message(_FORMAT_MESSAGES.get(error.validator_value, "invalid"), locale, label=_label(field, locale))


def _too_long(error, field: dict, locale: str) -> str:
    return message("too_long", locale, label=_label(field, locale), limit=error.validator_value)


def _below(error, field: dict, locale: str) -> str:
    label, limit = _label(field, locale), error.validator_value
    if field["type"] == "date":
        return message("before", locale, label=label, limit=limit)
    kind = "negative" if parse_money(limit) == 0 else "below"
    return message(kind, locale, label=label, limit=limit)


def _above(error, field: dict, locale: str) -> str:
    label, limit = _label(field, locale), error.validator_value
    if field["type"] == "date":
        return message("future" if field.get("max") == "today" else "after", locale, label=label, limit=limit)
    return message("above", locale, label=label, limit=limit)


def _enum(_error, field: dict, locale: str) -> str:
    return message("option", locale)


def _const(_error, field: dict, locale: str) -> str:
    return message("tick", locale, label=_label(field, locale))


def _rows(kind: str) -> Callable[[ValidationError, dict, str], str]:
    def explain(error, field: dict, locale: str) -> str:
        label = _label(field, locale)
        if field["type"] == "multiselect":
            return message("choose_some", locale, label=label)
        chosen = "rows_fixed" if "rows_from" in field else kind
        return message(chosen, locale, label=label, limit=error.validator_value)

    return explain


def _duplicate_choice(_error, _field: dict, locale: str) -> str:
    return message("duplicate_choice", locale)


def _repeats(error, field: dict, locale: str) -> str:
    return message("repeats", locale, label=_label(field, locale), row=getattr(error, "first_row", 0) + 1)


def _exactly_one(error, table: dict, locale: str) -> str:
    rule = error.validator_value
    column = _by_name(table["columns"], rule["column"]) or {"label": {"zh": rule["column"]}}
    value = localized(option_label(column, rule["value"]), locale) or str(rule["value"])
    return message(
        "exactly_one", locale, label=_label(column, locale), value=value, count=getattr(error, "count", 0)
    )


_EXPLAINERS: dict[str, Callable[[ValidationError, dict, str], str]] = {
    "type": _type, "pattern": _pattern, "format": _format, "maxLength": _too_long,
    "minimum": _below, "formatMinimum": _below, "maximum": _above, "formatMaximum": _above,
    "enum": _enum, "const": _const, "minItems": _rows("rows_min"), "maxItems": _rows("rows_max"),
    "uniqueItems": _duplicate_choice, "x-unique": _repeats, "x-exactly-one": _exactly_one,
}
