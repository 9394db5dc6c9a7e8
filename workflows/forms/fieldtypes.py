"""What each field type means: defaults, bounds, and the value an empty field takes."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

TYPES = (
    "text", "textarea", "integer", "money", "date", "select", "multiselect", "boolean", "id_number", "phone", "table",
)
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000}
DEFAULT_MONEY_MIN = Decimal("0")
DEFAULT_MONEY_MAX = Decimal("1000000")
DEFAULT_MAX_ROWS = 100
CENT = Decimal("0.01")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

# Types whose value is always present after coercion (an unticked box is False, no choice is []).
ALWAYS_PRESENT = frozenset({"boolean", "multiselect", "table"})


def empty_value(field: dict):
    """The value a field has in clean data when nothing was entered.

    Text-like types and selects are "", numbers and dates None, booleans False, lists [].
    """
    kind = field["type"]
    if kind == "boolean":
        return False
    if kind in ("multiselect", "table"):
        return []
    if kind in ("integer", "money", "date"):
        return None
    return ""


def max_length(field: dict) -> int | None:
    """The maximum length of a text field (declared, or the type's default)."""
    return field.get("max_length", DEFAULT_MAX_LENGTH.get(field["type"]))


def parse_money(value) -> Decimal | None:
    """A finite decimal from a bound or value, or None if it is not one."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def money_bounds(field: dict) -> tuple[Decimal, Decimal]:
    """The (min, max) of a money field: declared, else 0 and 1,000,000."""
    low = parse_money(field["min"]) if "min" in field else DEFAULT_MONEY_MIN
    high = parse_money(field["max"]) if "max" in field else DEFAULT_MONEY_MAX
    return (DEFAULT_MONEY_MIN if low is None else low), (DEFAULT_MONEY_MAX if high is None else high)


def money_text(amount: Decimal) -> str:
    """An amount as a string with exactly two decimals ("1200.50")."""
    return str(amount.quantize(CENT))


def parse_date(text: str) -> date:
    """A real calendar date written ``YYYY-MM-DD`` (no other ISO forms such as week dates).

    Raises:
        ValueError: ``text`` is not one.
    """
    if not isinstance(text, str) or not _ISO_DATE.match(text):
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(text)


def date_bound(value, today: date) -> str | None:
    """An ISO date bound, with ``"today"`` resolved; None if ``value`` is not a date bound."""
    if value == "today":
        return today.isoformat()
    try:
        return parse_date(value).isoformat()
    except ValueError:
        return None


def option_values(field: dict) -> list[str]:
    """The values of a select's options, in order."""
    return [opt["value"] for opt in field.get("options", [])]


def option_label(field: dict, value) -> dict | None:
    """The label object of the option with ``value`` (None if there is none)."""
    for opt in field.get("options", []):
        if opt["value"] == value:
            return opt["label"]
    return None
