"""Server-side validation of a form submission: the guard for the web UI and the JSON API alike.

Order: coerce the submitted values (:mod:`.coerce`), validate them against the form's generated
JSON Schema (:mod:`.schema`, :mod:`.validator`), explain each error on its field (:mod:`.explain`),
then check the form's rules, which may also test the task data. Clean data has exactly the form's
fields, with the empty value of its type for what was left blank.
"""

from collections.abc import Mapping
from datetime import date

from .. import clock
from .coerce import coerce_object
from .definitions import Form, localized
from .explain import describe
from .fieldtypes import empty_value
from .messages import message
from .validator import make_validator

FORM_KEY = "_form"  # errors about the submission as a whole


def validate_submission(
    form: Form, data: Mapping, context: Mapping | None, locale: str = "zh", *, today: date | None = None
) -> tuple[dict, dict[str, str]]:
    """Validate and clean a submission of ``form``.

    Args:
        form: The form.
        data: The submission: nested JSON from the API, or :func:`decode_web_form`'s result.
        context: The task data before this submission; readonly fields, ``rows_from`` tables and
            rules' ``data`` tests read it.
        locale: The language of the messages (``zh`` or ``en``...).
        today: The date ``"today"`` bounds and ID number checks use (default: the domain clock's).

    Returns:
        ``(clean, errors)``. With no errors, ``clean`` holds every field of the form (and nothing
        else), typed: int, money as "1200.50", ISO dates, bools, lists, table rows as dicts. With
        errors, ``clean`` is empty and ``errors`` maps field paths (``members.2.id_no``) to one
        message each. This function never raises on bad input.
    """
    context = context if isinstance(context, Mapping) else {}
    if not isinstance(data, Mapping):
        return {}, {FORM_KEY: message("not_object", locale)}
    today = today or clock.today()
    coerced = coerce_object(form.fields, data, context)
    validator = make_validator(form.json_schema(context, today), today)
    errors: dict[str, str] = {}
    for error in validator.iter_errors(coerced):
        for path, text in describe(form.fields, error, locale):
            errors.setdefault(path, text)
    _check_rules(form, coerced, context, errors, locale)
    if errors:
        return {}, _in_form_order(form, errors)
    return complete(form.fields, coerced), {}


def _same(value, expected) -> bool:
    """Equality that keeps True apart from 1 and "true"."""
    if isinstance(value, bool) or isinstance(expected, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value == expected
    return type(value) is type(expected) and value == expected


def holds(cond: dict, data: Mapping, context: Mapping) -> bool:
    """Whether a rule condition holds; ``field`` tests the submission, ``data`` the task data."""
    value = data.get(cond["field"]) if "field" in cond else context.get(cond["data"])
    if "equals" in cond:
        return _same(value, cond["equals"])
    if "not_equals" in cond:
        return not _same(value, cond["not_equals"])
    if "in" in cond:
        return any(_same(value, option) for option in cond["in"])
    wanted = context.get(cond["contains_all_data"]) if "contains_all_data" in cond else cond["contains_all"]
    if not isinstance(wanted, list):  # the process did not state the list: refuse rather than wave through
        return False
    return isinstance(value, list) and all(item in value for item in wanted)


def _has_error(errors: Mapping[str, str], name: str) -> bool:
    return any(key == name or key.startswith(name + ".") for key in errors)


def _check_rules(form: Form, data: Mapping, context: Mapping, errors: dict[str, str], locale: str) -> None:
    for rule in form.rules:
        tested = [c["field"] for c in (rule["if"], rule["then"]) if "field" in c]
        if _has_error(errors, rule["field"]) or any(_has_error(errors, name) for name in tested):
            continue  # fix the field first; the rule cannot be judged on a broken value
        if holds(rule["if"], data, context) and not holds(rule["then"], data, context):
            errors[rule["field"]] = localized(rule["message"], locale)


def complete(fields: list[dict], data: Mapping) -> dict:
    """Valid coerced data with every field present (blank ones get their type's empty value)."""
    clean = {}
    for field in fields:
        value = data.get(field["name"], empty_value(field))
        if field["type"] == "table":
            value = [complete(field["columns"], row) for row in value]
        clean[field["name"]] = value
    return clean


def _in_form_order(form: Form, errors: dict[str, str]) -> dict[str, str]:
    order = {f["name"]: i for i, f in enumerate(form.fields)}

    def key(path: str) -> tuple:
        parts = path.split(".")
        row = int(parts[1]) if len(parts) > 1 and parts[1].isascii() and parts[1].isdigit() else -1
        return order.get(parts[0], len(order)), row, path

    return {path: errors[path] for path in sorted(errors, key=key)}
