"""Checks of a form definition that its meta-schema cannot express.

Run after the meta-schema passed, so the shape is known good; each check returns a list of
human-readable problems ("fields[3] members: ...") and an empty list when all is well.
"""

import re
from datetime import date

from .fieldtypes import date_bound, option_values, parse_money

_ANY_DAY = date(2000, 1, 1)


def definition_problems(raw: dict) -> list[str]:
    """Every problem found in a form definition that passed the meta-schema."""
    problems = _fields_problems(raw["fields"], "fields", rows_from=None)
    problems += _rules_problems(raw.get("rules", []), {f["name"]: f for f in raw["fields"]})
    return problems


def _fields_problems(fields: list[dict], where: str, rows_from: bool | None) -> list[str]:
    """Problems of a list of fields (a form's, or a table's columns; ``rows_from`` set for columns)."""
    problems, seen = [], set()
    by_name = {f["name"]: f for f in fields}
    for i, field in enumerate(fields):
        at = f"{where}[{i}] {field['name']}"
        if field["name"] in seen:
            problems.append(f"{at}: the name is used twice")
        seen.add(field["name"])
        problems += [f"{at}: {p}" for p in _field_problems(field, rows_from)]
        if "required_if" in field:
            problems += [f"{at}: {p}" for p in _condition_problems(field["required_if"], field["name"], by_name)]
    return problems


def _field_problems(field: dict, rows_from: bool | None) -> list[str]:
    problems = _bounds_problems(field)
    if "pattern" in field:
        try:
            re.compile(field["pattern"])
        except re.error as err:
            problems.append(f"the pattern does not compile: {err}")
    values = option_values(field)
    if len(set(values)) != len(values):
        problems.append("two options have the same value")
    if field.get("readonly") and rows_from is False:
        problems.append("a readonly column needs a table with rows_from (its values come from there)")
    if field["type"] == "table":
        problems += _table_problems(field)
    return problems


def _bounds_problems(field: dict) -> list[str]:
    parse = {
        "integer": lambda v: v if isinstance(v, int) and not isinstance(v, bool) else None,
        "money": lambda v: None if isinstance(v, bool) else parse_money(v),
        "date": lambda v: date_bound(v, _ANY_DAY),
    }.get(field["type"])
    if parse is None:
        return []
    low, high = (parse(field[k]) if k in field else None for k in ("min", "max"))
    problems = [f"{k} {field[k]!r} is not a valid {field['type']} bound" for k, v in (("min", low), ("max", high))
                if k in field and v is None]
    if low is not None and high is not None and "today" not in (field.get("min"), field.get("max")) and low > high:
        problems.append("min is greater than max")
    return problems


def _table_problems(table: dict) -> list[str]:
    columns = {c["name"]: c for c in table["columns"]}
    problems = _fields_problems(table["columns"], "columns", rows_from="rows_from" in table)
    if "rows_from" in table and ("min_rows" in table or "max_rows" in table):
        problems.append("rows_from fixes the number of rows: drop min_rows/max_rows")
    if table.get("min_rows", 0) > table.get("max_rows", table.get("min_rows", 0)):
        problems.append("min_rows is greater than max_rows")
    problems += [f"unique: no column {name!r}" for name in table.get("unique", []) if name not in columns]
    one = table.get("exactly_one")
    if one:
        column = columns.get(one["column"])
        if column is None:
            problems.append(f"exactly_one: no column {one['column']!r}")
        elif column.get("options") and one["value"] not in option_values(column):
            problems.append(f"exactly_one: {one['value']!r} is not an option of {one['column']!r}")
    return problems


def _condition_problems(cond: dict, owner: str, by_name: dict[str, dict]) -> list[str]:
    """Problems of a condition on a sibling field (``required_if`` or a rule's ``field`` test)."""
    target = by_name.get(cond["field"])
    if target is None:
        return [f"condition refers to unknown field {cond['field']!r}"]
    if cond["field"] == owner:
        return ["a field cannot be required on its own value"]
    if not target.get("options"):
        return []
    tested = [cond[k] for k in ("equals", "not_equals") if k in cond]
    tested += cond.get("in", []) + cond.get("contains_all", [])
    allowed = option_values(target)
    return [f"{value!r} is not an option of {cond['field']!r}" for value in tested if value not in allowed]


def _rules_problems(rules: list[dict], by_name: dict[str, dict]) -> list[str]:
    problems = []
    for i, rule in enumerate(rules):
        at = f"rules[{i}]"
        if rule["field"] not in by_name:
            problems.append(f"{at}: errors go to unknown field {rule['field']!r}")
        for part in ("if", "then"):
            if "field" in rule[part]:
                problems += [f"{at} {part}: {p}" for p in _condition_problems(rule[part], "", by_name)]
    return problems
