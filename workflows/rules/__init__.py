"""Domain rules: ID numbers, working days and amounts. Pure functions, no I/O."""

from .amounts import UPLIFT_CATEGORIES, benefit_amount, household_figures, money, month_after
from .id_number import IdInfo, InvalidIdNumber, age_on, check_character, describe_member, parse_id_number
from .workdays import add_working_days, is_working_day, working_days_between

__all__ = [
    "UPLIFT_CATEGORIES", "IdInfo", "InvalidIdNumber", "add_working_days", "age_on", "benefit_amount",
    "check_character", "describe_member", "household_figures", "is_working_day", "money", "month_after",
    "parse_id_number", "working_days_between",
]
