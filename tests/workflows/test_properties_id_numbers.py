"""Property tests of resident ID numbers (GB 11643): what a valid one says, and that no invalid one
is ever accepted — by the rule itself and by the registration form that uses it.

The oracle is written here from the standard (ISO 7064 MOD 11-2 check character, a real birth date
from 1900 to today, odd sequence = male), independently of ``workflows.rules.id_number``.
"""

import re
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests import factories as f
from workflows.forms import load_form, validate_submission
from workflows.rules import InvalidIdNumber, age_on, describe_member, parse_id_number

TODAY = date(2026, 12, 1)
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
FORMAT = re.compile(r"[0-9]{17}[0-9X]")


def oracle_check_character(body: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def oracle_valid(text: str) -> bool:
    """Whether a number, as typed, is valid: whitespace and the case of x do not matter."""
    number = "".join(text.split()).upper()
    if not FORMAT.fullmatch(number) or oracle_check_character(number[:17]) != number[17]:
        return False
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= birth <= TODAY


BIRTHS = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
REGIONS = st.from_regex(r"[0-9]{6}", fullmatch=True)
SEQUENCES = st.integers(min_value=0, max_value=999)
# 18 characters close to the format: digits and X, sometimes a lower-case x, a space or a letter.
NEAR_MISSES = st.text(alphabet=st.sampled_from("0123456789X0123456789x A"), min_size=16, max_size=19)


@given(REGIONS, BIRTHS, SEQUENCES)
def test_a_valid_number_gives_back_its_birth_date_sex_and_region(region, birth, seq):
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = body + oracle_check_character(body)
    info = parse_id_number(number, TODAY)
    assert (info.id_no, info.birth_date, info.region_code) == (number, birth, region)
    assert info.sex == ("M" if seq % 2 else "F")
    described = describe_member({"id_no": number.lower()}, TODAY)
    assert described["birth_date"] == birth.isoformat() and described["sex"] == info.sex
    assert described["age"] == age_on(birth, TODAY) >= 0


@given(NEAR_MISSES)
def test_a_number_is_accepted_exactly_when_the_standard_says_it_is_valid(text):
    try:
        info = parse_id_number(text, TODAY)
    except InvalidIdNumber as err:
        assert not oracle_valid(text)
        assert err.code in ("format", "checksum", "date", "future") and err.message_zh.startswith("身份证号码")
    else:
        assert oracle_valid(text) and info.id_no == "".join(text.split()).upper()


@given(st.one_of(st.text(), st.none(), st.integers(), st.lists(st.text()), st.binary()))
def test_any_input_is_either_a_valid_number_or_a_clean_refusal(value):
    try:
        info = parse_id_number(value, TODAY)
    except InvalidIdNumber:
        assert not (isinstance(value, str) and oracle_valid(value))
    else:
        assert isinstance(value, str) and oracle_valid(value) and oracle_valid(info.id_no)


@given(REGIONS, BIRTHS, SEQUENCES, st.integers(min_value=0, max_value=15))
def test_swapping_two_different_neighbouring_digits_is_always_caught(region, birth, seq, i):
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    assume(body[i] != body[i + 1])
    swapped = body[:i] + body[i + 1] + body[i] + body[i + 2:] + oracle_check_character(body)
    with pytest.raises(InvalidIdNumber):
        parse_id_number(swapped, TODAY)


def _registration_with(id_no) -> tuple[dict, dict]:
    members = f.registration()["members"]
    members[1] = dict(members[1], id_no=id_no)
    return validate_submission(load_form("dibao_application", "start"), f.registration(members), {}, "zh",
                               today=TODAY)


@given(st.one_of(NEAR_MISSES, st.text(max_size=25), st.integers(), st.none()))
def test_the_registration_form_never_accepts_an_invalid_number(value):
    clean, errors = _registration_with(value)
    if isinstance(value, str) and oracle_valid(value):
        assert errors == {} and clean["members"][1]["id_no"] == "".join(value.split()).upper()
    else:
        assert clean == {}
        assert "身份证号码" in errors.get("members.1.id_no", ""), errors  # a Chinese message on the cell


@given(REGIONS, BIRTHS, SEQUENCES)
def test_the_registration_form_accepts_every_valid_number_as_typed(region, birth, seq):
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = body + oracle_check_character(body)
    typed = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    clean, errors = _registration_with(typed)
    assert errors == {}
    assert clean["members"][1]["id_no"] == number
