"""Our jsonschema validator: draft 2020-12 plus the keywords and formats forms need.

Keywords: ``formatMinimum``/``formatMaximum`` compare dates and decimal strings by value;
``x-unique`` reports a row whose column value repeats an earlier row; ``x-exactly-one`` reports a
table where not exactly one row has a given column value. Formats: ``date`` (a real ISO date),
``decimal`` and ``id-number`` (checked with :func:`workflows.rules.id_number.parse_id_number`,
whose exception, with its Chinese and English message, becomes the error's ``cause``).
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from ..rules.id_number import parse_id_number
from .fieldtypes import parse_date, parse_money


class RowConflict(ValidationError):
    """A table rule's error, carrying the row it conflicts with (``x-unique``) or the count (``x-exactly-one``)."""

    def __init__(self, message: str, *, path: tuple = (), first_row: int | None = None, count: int | None = None):
        super().__init__(message, path=path)
        self.first_row, self.count = first_row, count


def _as_decimal(text: str) -> Decimal:
    amount = parse_money(text)
    if amount is None:
        raise InvalidOperation(text)
    return amount


_ORDERS: dict[str, Callable[[str], object]] = {"date": parse_date, "decimal": _as_decimal}


def _compare(sign: int) -> Callable:
    def keyword(_validator, bound, instance, schema) -> Iterator[ValidationError]:
        order = _ORDERS.get(schema.get("format"))
        if order is None or not isinstance(instance, str) or bound is None:
            return
        try:
            value, limit = order(instance), order(bound)
        except (ValueError, ArithmeticError):
            return  # the format keyword reports it
        if (value < limit) if sign < 0 else (value > limit):
            word = "less" if sign < 0 else "greater"
            yield ValidationError(f"{instance!r} is {word} than {bound!r}")

    return keyword


def _unique(_validator, columns, instance, _schema) -> Iterator[ValidationError]:
    if not isinstance(instance, list):
        return
    for column in columns:
        seen: dict[str, int] = {}
        for i, row in enumerate(instance):
            value = row.get(column) if isinstance(row, Mapping) else None
            if not isinstance(value, str | int) or value == "":
                continue
            if value in seen:
                yield RowConflict(f"{column} repeats row {seen[value]}", path=(i, column), first_row=seen[value])
            else:
                seen[value] = i


def _exactly_one(_validator, rule, instance, _schema) -> Iterator[ValidationError]:
    if not isinstance(instance, list):
        return
    count = sum(1 for row in instance if isinstance(row, Mapping) and row.get(rule["column"]) == rule["value"])
    if count != 1:
        yield RowConflict(f"{count} rows have {rule['column']} = {rule['value']!r}", count=count)


FormValidator = validators.extend(
    Draft202012Validator,
    {"formatMinimum": _compare(-1), "formatMaximum": _compare(1), "x-unique": _unique, "x-exactly-one": _exactly_one},
)


def _passes(parse: Callable[[str], object]) -> Callable[[object], bool]:
    """A format check: strings must parse (the parser raises), other types are the type keyword's business."""

    def check(value) -> bool:
        if isinstance(value, str):
            parse(value)
        return True

    return check


def format_checker(today: date) -> FormatChecker:
    """The formats forms use; ``today`` is passed to the ID number check (no birth in the future)."""
    checker = FormatChecker(formats=())
    checker.checks("date", raises=ValueError)(_passes(parse_date))
    checker.checks("decimal", raises=ArithmeticError)(_passes(_as_decimal))
    checker.checks("id-number", raises=ValueError)(_passes(lambda text: parse_id_number(text, today)))
    return checker


def make_validator(schema: dict, today: date) -> Draft202012Validator:
    """A validator for a generated submission schema."""
    return FormValidator(schema, format_checker=format_checker(today))
