"""The messages a user sees for a rejected field, in Chinese and English."""

MESSAGES: dict[str, tuple[str, str]] = {
    "fill": ("请填写{label}", "Please fill in {label}"),
    "choose": ("请选择{label}", "Please choose {label}"),
    "choose_some": ("请选择{label}（至少一项）", "Please choose at least one of {label}"),
    "tick": ("请勾选“{label}”", "Please tick “{label}”"),
    "option": ("请选择有效的选项", "Please choose a valid option"),
    "duplicate_choice": ("同一选项不能重复选择", "An option is chosen twice"),
    "text": ("{label}应为文字", "{label} must be text"),
    "integer": ("{label}应为整数", "{label} must be a whole number"),
    "money": (
        "请填写有效的金额，最多两位小数（如 1200.50）", "Enter a valid amount with at most two decimals (e.g. 1200.50)"
    ),
    "date": ("请填写有效的日期（如 2026-12-01）", "Enter a valid date (e.g. 2026-12-01)"),
    "phone": (
        "请填写有效的手机号码（11位）或固定电话（如 0951-1234567）",
        "Enter a mobile number (11 digits) or a landline such as 0951-1234567",
    ),
    "id_number": ("身份证号码不正确", "The ID number is not valid"),
    "boolean": ("{label}只能为“是”或“否”", "{label} must be yes or no"),
    "list": ("{label}格式不正确", "{label} is not in the right format"),
    "pattern": ("{label}格式不正确", "{label} is not in the right format"),
    "too_long": ("{label}不能超过{limit}个字", "{label} must be at most {limit} characters"),
    "negative": ("{label}不能为负数", "{label} cannot be negative"),
    "below": ("{label}不能小于{limit}", "{label} must be at least {limit}"),
    "above": ("{label}不能大于{limit}", "{label} must be at most {limit}"),
    "before": ("{label}不能早于{limit}", "{label} cannot be before {limit}"),
    "after": ("{label}不能晚于{limit}", "{label} cannot be after {limit}"),
    "future": ("{label}不能晚于今天", "{label} cannot be in the future"),
    "rows_min": ("{label}至少需要填写{limit}行", "{label} needs at least {limit} row(s)"),
    "rows_max": ("{label}最多只能填写{limit}行", "{label} can have at most {limit} rows"),
    "rows_fixed": (
        "{label}应为{limit}行，与已登记的记录一一对应", "{label} must have {limit} row(s), one per registered entry"
    ),
    "row": ("第{row}行格式不正确", "Row {row} is not in the right format"),
    "repeats": ("{label}与第{row}行重复", "{label} repeats row {row}"),
    "exactly_one": (
        "{label}为“{value}”的必须有且只有一行（现有{count}行）",
        "Exactly one row must have {label} “{value}” (now {count})",
    ),
    "unknown": ("表单中没有这一项，不能提交", "This form has no such field"),
    "invalid": ("{label}填写有误", "{label} is not valid"),
    "not_object": ("提交的数据格式不正确", "The submission is not in the right format"),
}


def message(key: str, locale: str = "zh", **values) -> str:
    """The message ``key`` in ``locale`` (English if it starts with ``en``), filled with ``values``."""
    zh, en = MESSAGES[key]
    template = en if str(locale).lower().startswith("en") else zh
    return template.format(**values)
