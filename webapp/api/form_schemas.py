"""JSON Schemas of request bodies, generated from the form definitions (``forms/<process>/<id>.json``).

They describe what a client sends: the shape and the allowed values of each field. An optional
field may also be sent empty ("" or null), which means not given. The server checks more (ID
number check characters, bounds, rules between fields) and answers 422 with per-field details;
because the schemas are generated, they follow the forms when those change.
"""

from workflows.forms import Form

ID_NUMBER = r"^[0-9]{17}[0-9Xx]$"
# An optional field may be sent empty ("" or null): the server treats it as not given.
EMPTY = {"enum": ["", None], "description": "Not given"}
ALWAYS_PRESENT = ("boolean", "multiselect")  # unticked / nothing chosen: false / []
MONEY_INPUT = r"^[+-]?[0-9]+(\.[0-9]{1,2})?$"


def _options(field: dict) -> list[str]:
    return [option["value"] for option in field["options"]]


def _money(_field: dict) -> dict:
    return {"type": ["string", "number"], "pattern": MONEY_INPUT,
            "description": "Yuan; a string such as \"1084.00\" or a number with at most 2 decimals"}


def _text(field: dict) -> dict:
    schema = {"type": "string"}
    if "max_length" in field:
        schema["maxLength"] = field["max_length"]
    return schema


def _integer(field: dict) -> dict:
    schema = {"type": "integer"}
    for key, keyword in (("min", "minimum"), ("max", "maximum")):
        if isinstance(field.get(key), int):
            schema[keyword] = field[key]
    return schema


_SIMPLE = {
    "text": _text,
    "textarea": _text,
    "integer": _integer,
    "money": _money,
    "date": lambda _f: {"type": "string", "format": "date"},
    "select": lambda f: {"type": "string", "enum": _options(f)},
    "multiselect": lambda f: {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": _options(f)}},
    "boolean": lambda _f: {"type": "boolean"},
    "id_number": lambda _f: {"type": "string", "pattern": ID_NUMBER,
                             "description": "GB 11643 citizen ID number (the check character is verified)"},
    "phone": lambda _f: {"type": "string"},
}


def _required_if(cond: dict) -> str:
    if "equals" in cond:
        return f"required when {cond['field']} is {cond['equals']!r}"
    if "not_equals" in cond:
        return f"required when {cond['field']} is not {cond['not_equals']!r}"
    return f"required when {cond['field']} is one of {cond['in']!r}"


def _describe(field: dict, schema: dict) -> dict:
    label = field["label"]
    notes = [schema.get("description", ""), label["zh"], field.get("help", {}).get("en", "")]
    if "required_if" in field:
        notes.append(_required_if(field["required_if"]))
    schema["title"] = label["en"]
    schema["description"] = "; ".join(n for n in notes if n)
    return schema


def field_schema(field: dict, table_items: dict | None = None) -> dict:
    """The input schema of one field (a table's rows are ``table_items``, or generated)."""
    if field.get("readonly"):
        return _describe(field, {"readOnly": True, "description": "Taken from the case data; ignored if sent"})
    if field["type"] != "table":
        schema = _SIMPLE[field["type"]](field)
        if not field.get("required") and field["type"] not in ALWAYS_PRESENT:
            note = schema.pop("description", "")
            schema = {"anyOf": [schema, EMPTY], "description": note}
        return _describe(field, schema)
    schema = {"type": "array", "items": table_items or object_schema(field["columns"])}
    if "max_rows" in field:
        schema["maxItems"] = field["max_rows"]
    if "min_rows" in field:
        schema["minItems"] = field["min_rows"]
    if "rows_from" in field:
        schema["description"] = f"One row per item of the case's {field['rows_from']}, in order"
    return _describe(field, schema)


def object_schema(fields: list[dict], tables: dict[str, dict] | None = None) -> dict:
    """The input schema of an object with ``fields``; unknown keys are refused.

    Args:
        fields: Field (or column) definitions.
        tables: Row schemas to use for table fields, by field name (e.g. a ``$ref``).
    """
    tables = tables or {}
    properties = {f["name"]: field_schema(f, tables.get(f["name"])) for f in fields}
    required = [f["name"] for f in fields if f.get("required") and not f.get("readonly")]
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def form_body_schema(form: Form, tables: dict[str, dict] | None = None) -> dict:
    """The request body of a form: its fields, titled with the form's title."""
    schema = {"title": form.raw["title"]["en"], "description": form.raw["title"]["zh"]}
    schema.update(object_schema(form.fields, tables))
    return schema
