"""Turn submitted values (strings from a web post, JSON from the API) into their field's type.

Coercion is best effort and never fails: a value it cannot convert is kept as it came, so the
generated JSON Schema rejects it with a message. An empty value is left out (so "required" is
the schema's ``required``), except that booleans, multiselects and tables are always present.
Readonly fields and columns are never read from the submission: their value is the task data's.
"""

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from .fieldtypes import CENT, money_text

ABSENT = object()  # "leave the key out"
TRUE_WORDS = frozenset({"on", "true", "1", "yes", "y", "是"})
FALSE_WORDS = frozenset({"", "off", "false", "0", "no", "n", "否"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_DATE = re.compile(r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?$")


def coerce_object(fields: list[dict], data: Mapping, context: Mapping) -> dict:
    """Coerce a submission (or one table row) field by field.

    Args:
        fields: The field definitions.
        data: The submitted object.
        context: The task data (for a row of a ``rows_from`` table: that row's source item).

    Returns:
        A new dict: unknown keys kept as they came (the schema rejects them), known fields coerced,
        empty ones left out, readonly ones taken from ``context``.
    """
    known = {f["name"] for f in fields}
    out = {key: value for key, value in data.items() if key not in known}
    for field in fields:
        name = field["name"]
        if field.get("readonly"):
            if name in context:
                out[name] = context[name]
            continue
        value = coerce_value(field, data.get(name), context)
        if value is not ABSENT:
            out[name] = value
    return out


def coerce_value(field: dict, value, context: Mapping):
    """One field's coerced value, the raw value if it cannot be coerced, or :data:`ABSENT`."""
    if field["type"] == "table":
        return _table(field, value, context)
    return _COERCERS[field["type"]](field, value)


def _table(field: dict, value, context: Mapping):
    if value is None:
        return []
    if not isinstance(value, list):
        return value
    source = context.get(field["rows_from"]) if "rows_from" in field else None
    source = source if isinstance(source, list) else []
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, Mapping):
            rows.append(row)  # the schema says a row must be an object
            continue
        origin = source[i] if i < len(source) and isinstance(source[i], Mapping) else {}
        rows.append(coerce_object(field["columns"], row, origin))
    return rows


def _clean_string(value: str, multiline: bool = False) -> str:
    text = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value
    return (_CONTROL if multiline else _CONTROL_ONE_LINE).sub("", text).strip()


# Full-width ASCII (U+FF01–U+FF5E, what a Chinese input method types) and the ideographic space to
# ASCII. Only these: NFKC would also turn superscripts and circled digits (¹, ①) into digits.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _narrow(value: str) -> str:
    """Full-width digits and signs to ASCII, spaces out (for numbers, dates, phones, ID numbers)."""
    return "".join(value.translate(_FULL_WIDTH).split())


def _text(field: dict, value):
    if value is None:
        return ABSENT
    if not isinstance(value, str):
        return value
    text = _clean_string(value, multiline=field["type"] == "textarea")
    return text or ABSENT


def _integer(_field: dict, value):
    if value is None or isinstance(value, bool):
        return ABSENT if value is None else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if not isinstance(value, str):
        return value
    text = _narrow(value)
    if not text:
        return ABSENT
    return int(text) if _INTEGER.match(text) else text


def _money(_field: dict, value):
    if value is None:
        return ABSENT
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return value
    text = _narrow(str(value)).replace(",", "")
    if not text:
        return ABSENT
    if not _DECIMAL.match(text):
        return text
    try:
        amount = Decimal(text)
        exact = amount == amount.quantize(CENT)
    except InvalidOperation:
        return text
    return money_text(amount) if exact else text


def _date(_field: dict, value):
    if value is None:
        return ABSENT
    if not isinstance(value, str):
        return value
    text = _narrow(value)
    match = _DATE.match(text)
    if match:
        try:
            return date(*(int(part) for part in match.groups())).isoformat()
        except ValueError:
            return text
    return text or ABSENT


def _boolean(_field: dict, value):
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
    return value


def _select(_field: dict, value):
    if value is None:
        return ABSENT
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    return _clean_string(value) or ABSENT


def _multiselect(_field: dict, value):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return value
    chosen, seen = [], set()
    for item in value:
        if not isinstance(item, str):
            chosen.append(item)  # the schema says an item must be a string
            continue
        text = _clean_string(item)
        if text and text not in seen:
            seen.add(text)
            chosen.append(text)
    return chosen


def _phone(_field: dict, value):
    if value is None:
        return ABSENT
    if not isinstance(value, str):
        return value
    text = _narrow(value).replace("(", "").replace(")", "")
    if text.startswith("+86"):
        text = text[3:].lstrip("-")
    return text or ABSENT


def _id_number(_field: dict, value):
    if value is None:
        return ABSENT
    if not isinstance(value, str):
        return value
    return _narrow(value).upper() or ABSENT


_COERCERS = {
    "text": _text, "textarea": _text, "integer": _integer, "money": _money, "date": _date,
    "boolean": _boolean, "select": _select, "multiselect": _multiselect, "phone": _phone,
    "id_number": _id_number,
}
