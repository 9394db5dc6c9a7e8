"""Resident ID numbers (GB 11643-1999): format, MOD 11-2 check character, birth date, sex, age."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.rules import IdInfo, InvalidIdNumber, age_on, check_character, describe_member, parse_id_number

TODAY = date(2026, 12, 1)
BEIJING_1949 = "11010519491231002X"  # GB 11643-1999's own example, check character X
SHANTOU_1880 = "440524188001010014"  # the standard's other example: valid checksum, born 1880


def body_of(birth: date, seq: int, region: str = "640104") -> str:
    return f"{region}{birth:%Y%m%d}{seq:03d}"


def with_check(body17: str) -> str:
    """Check character computed here, independently of the code under test."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def code_of(text: str, today: date | None = TODAY) -> str:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(text, today)
    return caught.value.code


def test_the_standard_example_is_read():
    assert parse_id_number(BEIJING_1949, TODAY) == IdInfo(
        id_no=BEIJING_1949, birth_date=date(1949, 12, 31), sex="F", region_code="110105")


def test_the_1880_example_has_a_valid_check_character_but_is_refused_as_before_1900():
    assert check_character(SHANTOU_1880[:17]) == SHANTOU_1880[17]
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(SHANTOU_1880)
    assert caught.value.code == "date"
    assert "1900" in caught.value.message_zh


def test_odd_sequence_digit_is_male():
    assert parse_id_number(with_check(body_of(date(1980, 5, 1), 1))).sex == "M"
    assert parse_id_number(with_check(body_of(date(1980, 5, 1), 2))).sex == "F"


@pytest.mark.parametrize("typed", [
    BEIJING_1949.lower(), f"  {BEIJING_1949} ", "110105 19491231 002x", "110105\u300019491231002X\t",
])
def test_spaces_and_lower_case_x_are_normalised(typed):
    assert parse_id_number(typed).id_no == BEIJING_1949


@pytest.mark.parametrize(("text", "code"), [
    (BEIJING_1949[:-1] + "0", "checksum"),
    (BEIJING_1949[:-1] + "Y", "format"),
    (BEIJING_1949[:-1], "format"),
    (BEIJING_1949 + "1", "format"),
    ("", "format"),
    ("11010519491231A02X", "format"),
    ("X10105194912310021", "format"),
    ("１１０１０５１９４９１２３１００２Ｘ", "format"),  # full-width digits: the form layer narrows them first
    (with_check("11010519490230001"), "date"),  # 30 February
    (with_check("11010519491301001"), "date"),  # month 13
    (with_check("11010519490000001"), "date"),
    (with_check("11010518991231001"), "date"),  # before 1900
    (with_check(body_of(TODAY + timedelta(days=1), 1)), "future"),
])
def test_bad_numbers_are_refused_with_their_code(text, code):
    assert code_of(text) == code


@pytest.mark.parametrize("value", [None, 11010519491231002, ["11010519491231002X"]])
def test_non_strings_are_a_format_error(value):
    assert code_of(value) == "format"


def test_a_future_birth_date_is_only_refused_when_today_is_given():
    future = with_check(body_of(TODAY + timedelta(days=1), 1))
    assert parse_id_number(future, today=None).birth_date == TODAY + timedelta(days=1)
    assert parse_id_number(with_check(body_of(TODAY, 1)), TODAY).birth_date == TODAY


def test_errors_carry_both_messages():
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(BEIJING_1949[:-1] + "0")
    err = caught.value
    assert isinstance(err, ValueError)
    assert err.message_zh == "身份证号码校验位不正确，请核对后重新输入"
    assert err.message_en and str(err) == err.message_en


def test_address_code_is_not_checked():
    assert parse_id_number(with_check(body_of(date(1990, 1, 1), 5, region="999999"))).region_code == "999999"


@pytest.mark.parametrize(("birth", "on", "age"), [
    (date(1966, 12, 1), date(2026, 12, 1), 60),
    (date(1966, 12, 2), date(2026, 12, 1), 59),
    (date(2008, 2, 29), date(2026, 2, 28), 17),
    (date(2008, 2, 29), date(2026, 3, 1), 18),
    (date(2008, 2, 29), date(2028, 2, 29), 20),
    (date(2026, 12, 1), date(2026, 12, 1), 0),
])
def test_age_in_full_years(birth, on, age):
    assert age_on(birth, on) == age


def test_age_before_birth_is_an_error():
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


def test_describe_member_adds_the_id_facts_to_a_copy():
    member = {"name": "王喆", "id_no": BEIJING_1949.lower(), "relation": "self"}
    described = describe_member(member, TODAY)
    assert described == {"name": "王喆", "id_no": BEIJING_1949, "relation": "self",
                         "birth_date": "1949-12-31", "sex": "F", "age": 76}
    assert member["id_no"] == BEIJING_1949.lower()


def test_describe_member_refuses_a_birth_after_the_day():
    with pytest.raises(InvalidIdNumber) as caught:
        describe_member({"id_no": with_check(body_of(TODAY + timedelta(days=1), 1))}, TODAY)
    assert caught.value.code == "future"
    with pytest.raises(InvalidIdNumber):
        describe_member({"name": "无号码"}, TODAY)


BODIES = st.builds(
    body_of,
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
)


@given(BODIES)
def test_the_computed_check_character_always_validates(body):
    assert check_character(body) == with_check(body)[17]
    assert parse_id_number(body + check_character(body), TODAY).id_no == body + check_character(body)


@given(BODIES, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_changing_any_one_digit_always_fails(body, position, shift):
    id_no = body + check_character(body)
    changed = id_no[:position] + str((int(id_no[position]) + shift) % 10) + id_no[position + 1:]
    with pytest.raises(InvalidIdNumber):
        parse_id_number(changed, TODAY)


@given(BODIES, st.sampled_from("0123456789X"))
def test_any_other_check_character_fails_the_checksum(body, last):
    if last != check_character(body):
        assert code_of(body + last, None) == "checksum"
