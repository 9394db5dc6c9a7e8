"""Domain rules: resident ID numbers, Chinese working days and benefit amounts.

Pure functions with no I/O, called from BPMN script tasks (through the script environment's
allowlist) and from form validation.
"""

from .amounts import (
    UPLIFT_CATEGORIES,
    benefit_amount,
    household_figures,
    money,
    money_text,
    month_after,
    to_decimal,
)
from .household import (
    applicant_row,
    assess_members,
    merge_materials,
    missing_from,
    property_figures,
    rigid_expense_total,
    severe_or_ill,
)
from .id_number import (
    IdInfo,
    InvalidIdNumber,
    age_on,
    check_character,
    describe_member,
    normalise_id_number,
    parse_id_number,
)
from .months import add_months, last_day_of, month_of, months_between, shift_month
from .workdays import add_working_days, is_working_day, working_days_between

__all__ = [
    "UPLIFT_CATEGORIES",
    "IdInfo",
    "InvalidIdNumber",
    "add_months",
    "add_working_days",
    "applicant_row",
    "assess_members",
    "merge_materials",
    "missing_from",
    "property_figures",
    "rigid_expense_total",
    "severe_or_ill",
    "age_on",
    "benefit_amount",
    "check_character",
    "describe_member",
    "household_figures",
    "is_working_day",
    "last_day_of",
    "money",
    "month_of",
    "months_between",
    "money_text",
    "month_after",
    "normalise_id_number",
    "parse_id_number",
    "shift_month",
    "to_decimal",
    "working_days_between",
]
