"""Submitted form data as people read it: field labels and option labels instead of keys."""

from .definitions import Form, localized

# Separators between the items of a list and between the cells of a row, by language.
_SEPARATORS = {"zh": ("、", "，"), "en": (", ", "; ")}


def _separators(locale: str) -> tuple[str, str]:
    return _SEPARATORS["en" if str(locale).lower().startswith("en") else "zh"]


def _text(field: dict, value, locale: str) -> str:
    options = {str(o["value"]): localized(o["label"], locale) for o in field.get("options", [])}
    if field["type"] == "boolean":
        return ("是" if value else "否") if not locale.startswith("en") else ("yes" if value else "no")
    if field["type"] == "multiselect":
        return _separators(locale)[0].join(options.get(str(v), str(v)) for v in value or [])
    if options:
        return options.get(str(value), "" if value is None else str(value))
    return "" if value is None else str(value)


def _row(columns: list[dict], row: dict, locale: str) -> str:
    parts = [f"{localized(c['label'], locale)} {_text(c, row.get(c['name']), locale)}" for c in columns]
    return _separators(locale)[1].join(p for p in parts if p.strip())


def display_values(form: Form, data: dict, locale: str = "zh") -> list[tuple[str, str | list[str]]]:
    """(label, text) for each field of ``form`` present in ``data``; a table gives a list of row texts."""
    shown = []
    for field in form.fields:
        if field["name"] not in data:
            continue
        value = data[field["name"]]
        if field["type"] == "table":
            shown.append((localized(field["label"], locale), [_row(field["columns"], r, locale) for r in value or []]))
        else:
            shown.append((localized(field["label"], locale), _text(field, value, locale)))
    return shown
