"""Resident ID numbers (GB 11643-1999): checksum, birth date, sex (DOMAIN.md §8)."""

from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: S mod 11 → check character


class InvalidIdNumber(ValueError):
    """An ID number that cannot be right, with a message for the clerk."""

    def __init__(self, code: str, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.code, self.message_zh, self.message_en = code, message_zh, message_en


@dataclass(frozen=True)
class IdInfo:
    """What an ID number says about its holder."""

    id_no: str
    birth_date: date
    sex: str  # 'M' or 'F'
    region_code: str


def check_character(body17: str) -> str:
    """The check character of the first 17 digits."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


def parse_id_number(text: str, today: date | None = None) -> IdInfo:
    """Validate an 18-character ID number and read it; the address code is not checked (codes change).

    Raises:
        InvalidIdNumber: wrong format, checksum or date.
    """
    id_no = (text or "").strip().replace(" ", "").upper()
    well_formed = len(id_no) == 18 and id_no.isascii() and id_no[:17].isdigit()
    if not well_formed or not (id_no[17].isdigit() or id_no[17] == "X"):
        raise InvalidIdNumber("format", "身份证号码应为18位：前17位为数字，最后一位为数字或X",
                              "An ID number has 18 characters: 17 digits, then a digit or X")
    if check_character(id_no[:17]) != id_no[17]:
        raise InvalidIdNumber("checksum", "身份证号码校验位不正确，请核对后重新输入",
                              "The ID number's check character is wrong; please check it")
    try:
        birth = date(int(id_no[6:10]), int(id_no[10:12]), int(id_no[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1900:
        raise InvalidIdNumber("date", "身份证号码中的出生日期不存在", "The birth date in the ID number does not exist")
    if today is not None and birth > today:
        raise InvalidIdNumber("future", "身份证号码中的出生日期晚于今天", "The birth date in the ID number is in the future")  # noqa: E501
    return IdInfo(id_no, birth, "M" if int(id_no[16]) % 2 else "F", id_no[:6])


def age_on(birth: date, on: date) -> int:
    """Age in full years on a day (a 29 February birthday counts from 1 March in other years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def describe_member(member: dict, on: date) -> dict:
    """A copy of a member row with the normalised ID number, birth date, sex and age."""
    info = parse_id_number(member["id_no"])
    return dict(member, id_no=info.id_no, birth_date=info.birth_date.isoformat(), sex=info.sex,
                age=age_on(info.birth_date, on))
