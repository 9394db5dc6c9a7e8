"""The JSON Schema of a valid submission, generated from a form definition.

The schema describes the data *after* coercion (see :mod:`.coerce`): an empty field is absent,
money is a string with two decimals, a date is ISO, an unticked box is False. Standard keywords
do most of the work; four more are enforced by our validator (:mod:`.validator`) and are
annotations to anyone else: ``formatMinimum``/``formatMaximum`` (dates and decimal strings, as
in ajv-formats), ``x-unique`` (columns whose values differ between rows) and ``x-exactly-one``.
"""

from datetime import date

from .. import clock
from .fieldtypes import ALWAYS_PRESENT, DEFAULT_MAX_ROWS, date_bound, max_length, money_bounds, money_text
from .fieldtypes import option_values as _options

DIALECT = "https://json-schema.org/draft/2020-12/schema"
MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
ID_NUMBER_PATTERN = r"^[0-9]{17}[0-9X]$"  # ASCII only; the format check does the rest
PHONE_PATTERN = r"^(1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8})$"


def submission_schema(fields: list[dict], title: dict, context: dict | None, today: date | None) -> dict:
    """The schema of a form's coerced submission.

    Args:
        fields: The form's field definitions.
        title: The form's localized title (copied into the schema).
        context: The task data, or None for a schema without the row counts of ``rows_from`` tables.
        today: The date ``"today"`` bounds mean (default: the domain clock's today).

    Returns:
        A draft 2020-12 schema.
    """
    schema = {"$schema": DIALECT, "title": title.get("en", ""), "description": title.get("zh", "")}
    schema.update(object_schema(fields, context, today or clock.today()))
    return schema


def object_schema(fields: list[dict], context: dict | None, today: date) -> dict:
    """The schema of an object with ``fields`` (the whole form, or one table row)."""
    properties, required, conditions = {}, [], []
    for field in fields:
        name = field["name"]
        properties[name] = {"readOnly": True} if field.get("readonly") else field_schema(field, context, today)
        if field.get("required") and not field.get("readonly") and field["type"] not in ALWAYS_PRESENT:
            required.append(name)
        if "required_if" in field and not field.get("readonly"):
            conditions.append(_required_if(field))
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    if conditions:
        schema["allOf"] = conditions
    return schema


def _condition_schema(cond: dict) -> dict:
    if "equals" in cond:
        return {"const": cond["equals"]}
    if "not_equals" in cond:
        return {"not": {"const": cond["not_equals"]}}
    return {"enum": list(cond["in"])}


def _filled(field: dict) -> dict:
    """The schema that says "``field`` is filled in"."""
    name = field["name"]
    if field["type"] == "boolean":
        return {"properties": {name: {"const": True}}}
    if field["type"] in ALWAYS_PRESENT:
        return {"properties": {name: {"minItems": 1}}}
    return {"required": [name]}


def _required_if(field: dict) -> dict:
    cond = field["required_if"]
    when = {"properties": {cond["field"]: _condition_schema(cond)}, "required": [cond["field"]]}
    return {"if": when, "then": _filled(field)}


def _text(field: dict, *_) -> dict:
    schema = {"type": "string", "maxLength": max_length(field)}
    if "pattern" in field:
        schema["pattern"] = field["pattern"]
    return schema


def _integer(field: dict, *_) -> dict:
    schema = {"type": "integer"}
    for key, keyword in (("min", "minimum"), ("max", "maximum")):
        if key in field:
            schema[keyword] = field[key]
    return schema


def _money(field: dict, *_) -> dict:
    low, high = money_bounds(field)
    return {
        "type": "string", "format": "decimal", "pattern": MONEY_PATTERN,
        "formatMinimum": money_text(low), "formatMaximum": money_text(high),
    }


def _date(field: dict, _context, today: date) -> dict:
    schema = {"type": "string", "format": "date"}
    for key, keyword in (("min", "formatMinimum"), ("max", "formatMaximum")):
        if key in field:
            schema[keyword] = date_bound(field[key], today)
    return schema


def _select(field: dict, *_) -> dict:
    return {"type": "string", "enum": _options(field)}


def _multiselect(field: dict, *_) -> dict:
    schema = {"type": "array", "items": {"type": "string", "enum": _options(field)}, "uniqueItems": True}
    if field.get("required"):
        schema["minItems"] = 1
    return schema


def _boolean(field: dict, *_) -> dict:
    return {"type": "boolean", "const": True} if field.get("required") else {"type": "boolean"}


def _table(field: dict, context: dict | None, today: date) -> dict:
    schema = {"type": "array"}
    if "rows_from" in field:
        schema["x-rows-from"] = field["rows_from"]
        if context is not None:
            source = context.get(field["rows_from"])
            schema["minItems"] = schema["maxItems"] = len(source) if isinstance(source, list) else 0
    else:
        schema["minItems"] = max(field.get("min_rows", 0), 1 if field.get("required") else 0)
        schema["maxItems"] = field.get("max_rows", DEFAULT_MAX_ROWS)
    schema["items"] = object_schema(field["columns"], None, today)
    if "unique" in field:
        schema["x-unique"] = list(field["unique"])
    if "exactly_one" in field:
        schema["x-exactly-one"] = dict(field["exactly_one"])
    return schema


_BUILDERS = {
    "text": _text, "textarea": _text, "integer": _integer, "money": _money, "date": _date,
    "select": _select, "multiselect": _multiselect, "boolean": _boolean, "table": _table,
    "id_number": lambda *_: {"type": "string", "format": "id-number", "pattern": ID_NUMBER_PATTERN},
    "phone": lambda *_: {"type": "string", "pattern": PHONE_PATTERN},
}


def field_schema(field: dict, context: dict | None, today: date) -> dict:
    """The schema of one field's coerced value."""
    return _BUILDERS[field["type"]](field, context, today)
