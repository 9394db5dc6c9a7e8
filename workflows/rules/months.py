"""Calendar months: review dates and payment months ("YYYY-MM")."""

from datetime import date

from dateutil.relativedelta import relativedelta


def add_months(day: date, n: int) -> date:
    """The same day ``n`` months later, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=n)


def month_of(day: date) -> str:
    """The month of a day as 'YYYY-MM'."""
    return f"{day.year:04d}-{day.month:02d}"


def shift_month(month: str, n: int) -> str:
    """'YYYY-MM' moved by ``n`` months."""
    year, mon = (int(p) for p in month.split("-"))
    return month_of(add_months(date(year, mon, 1), n))


def months_between(first: str, last: str) -> int:
    """How many months from ``first`` to ``last`` inclusive (0 when last is before first)."""
    (y1, m1), (y2, m2) = ((int(p) for p in m.split("-")) for m in (first, last))
    return max((y2 - y1) * 12 + (m2 - m1) + 1, 0)


def last_day_of(month: str) -> date:
    """The last day of 'YYYY-MM'."""
    year, mon = (int(p) for p in month.split("-"))
    return add_months(date(year, mon, 1), 1) - relativedelta(days=1)
