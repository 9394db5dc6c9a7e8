"""Resident ID numbers (GB 11643-1999): format, check character, birth date, sex (DOMAIN.md §8).

A number is 6 address digits, 8 birth-date digits (YYYYMMDD), 3 sequence digits (odd = male) and a
check character computed with ISO 7064 MOD 11-2. The address code is deliberately not checked against
a list: codes are renamed and merged over time, and people keep the number they were issued.
"""

from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: (weighted sum mod 11) → check character
EARLIEST_BIRTH_YEAR = 1900

_MESSAGES = {
    "format": ("身份证号码应为18位：前17位为数字，最后一位为数字或X",
               "An ID number has 18 characters: 17 digits, then a digit or X"),
    "checksum": ("身份证号码校验位不正确，请核对后重新输入",
                 "The ID number's check character is wrong; please check the number and enter it again"),
    "date": ("身份证号码中的出生日期不存在，请核对后重新输入",
             "The birth date inside the ID number does not exist; please check the number"),
    "too_early": ("身份证号码中的出生日期早于1900年，请核对后重新输入",
                  "The birth date inside the ID number is before 1900; please check the number"),
    "future": ("身份证号码中的出生日期晚于今天，请核对后重新输入",
               "The birth date inside the ID number is after today; please check the number"),
}


class InvalidIdNumber(ValueError):
    """An ID number that cannot be right, with messages for the clerk in Chinese and English.

    Attributes:
        code: 'format', 'checksum', 'date' (no such day, or before 1900) or 'future'.
        message_zh: The message shown to the clerk.
        message_en: The same message in English (also the exception's ``str``).
    """

    def __init__(self, code: str, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.code, self.message_zh, self.message_en = code, message_zh, message_en

    @classmethod
    def of(cls, problem: str) -> "InvalidIdNumber":
        """The exception for one of the known problems (a key of the message table)."""
        code = "date" if problem == "too_early" else problem
        return cls(code, *_MESSAGES[problem])


def problem_messages(locale: str = "zh") -> dict[str, str]:
    """The clerk's message for each problem a number can have ('format', 'checksum', 'date',
    'too_early', 'future'), in Chinese or (``locale`` 'en') English: what a form shows as the
    server would."""
    index = 1 if locale == "en" else 0
    return {problem: texts[index] for problem, texts in _MESSAGES.items()}


@dataclass(frozen=True)
class IdInfo:
    """What a valid ID number says about its holder."""

    id_no: str
    birth_date: date
    sex: str  # 'M' or 'F'
    region_code: str


def check_character(body17: str) -> str:
    """The check character of the first 17 digits of an ID number.

    Args:
        body17: Exactly 17 ASCII digits.

    Returns:
        '0'–'9' or 'X'.
    """
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


def normalise_id_number(text: str) -> str:
    """The number with all whitespace removed and a lower-case x upper-cased (nothing else changes)."""
    if not isinstance(text, str):
        raise InvalidIdNumber.of("format")
    return "".join(text.split()).upper()


def _birth_date(id_no: str, today: date | None) -> date:
    try:
        birth = date(int(id_no[6:10]), int(id_no[10:12]), int(id_no[12:14]))
    except ValueError:
        raise InvalidIdNumber.of("date") from None
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise InvalidIdNumber.of("too_early")
    if today is not None and birth > today:
        raise InvalidIdNumber.of("future")
    return birth


def parse_id_number(text: str, today: date | None = None) -> IdInfo:
    """Validate an 18-character resident ID number and read it.

    Whitespace is removed and a lower-case x is accepted. Only ASCII digits count as digits.

    Args:
        text: The number as typed.
        today: If given, a birth date after this day is refused.

    Returns:
        The normalised number with its birth date, sex and 6-digit address code.

    Raises:
        InvalidIdNumber: with ``code`` 'format' (length or characters), 'checksum', 'date' (no such
            calendar day, or before 1900) or 'future'.
    """
    id_no = normalise_id_number(text)
    body_ok = len(id_no) == 18 and id_no.isascii() and id_no[:17].isdigit()
    if not body_ok or not (id_no[17].isdigit() or id_no[17] == "X"):
        raise InvalidIdNumber.of("format")
    if check_character(id_no[:17]) != id_no[17]:
        raise InvalidIdNumber.of("checksum")
    birth = _birth_date(id_no, today)
    return IdInfo(id_no=id_no, birth_date=birth, sex="M" if int(id_no[16]) % 2 else "F", region_code=id_no[:6])


def age_on(birth_date: date, on_date: date) -> int:
    """Age in full years (周岁) on a day.

    The age goes up on the birthday itself. Someone born on 29 February gets one year older on
    1 March in common years (28 February is still the day before their birthday).

    Args:
        birth_date: Date of birth.
        on_date: The day the age is wanted for.

    Returns:
        Completed years.

    Raises:
        ValueError: if ``on_date`` is before ``birth_date``.
    """
    if on_date < birth_date:
        raise ValueError(f"{on_date} is before the birth date {birth_date}")
    before_birthday = (on_date.month, on_date.day) < (birth_date.month, birth_date.day)
    return on_date.year - birth_date.year - before_birthday


def describe_member(member: dict, on_date: date) -> dict:
    """A copy of a household member row with what its ID number says.

    Args:
        member: A row with at least 'id_no'; other keys are copied unchanged.
        on_date: The day ages are computed for; a birth date after it is refused.

    Returns:
        The copy, with 'id_no' normalised and 'birth_date' (ISO string), 'sex' ('M'/'F') and
        'age' (full years) set.

    Raises:
        InvalidIdNumber: if the ID number is missing or not valid.
    """
    info = parse_id_number(member.get("id_no"), today=on_date)
    return dict(member, id_no=info.id_no, birth_date=info.birth_date.isoformat(), sex=info.sex,
                age=age_on(info.birth_date, on_date))
