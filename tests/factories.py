"""Small builders of test data: valid ID numbers, registrations and task answers."""

from datetime import date, datetime, timedelta, timezone

from workflows import clock

# Monday 30 November 2026, 09:00 in China: a working day, far from holidays.
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=8)))

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: date, seq: int = 1, region: str = "640104") -> str:
    """A valid GB 11643 number (odd seq = male), computed independently of the code under test."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def member(name: str, birth: date, relation: str = "self", income: str = "0", seq: int = 1, **extra) -> dict:
    """A household member row as the registration form takes it."""
    row = {
        "name": name, "id_no": id_number(birth, seq), "relation": relation, "monthly_income": income,
        "disability_level": "0", "disability_kind": "", "serious_illness": False,
    }
    row.update(extra)
    return row


def registration(members: list[dict] | None = None, **overrides) -> dict:
    """A complete, valid registration (DOMAIN.md §3 example: 3 people, 900 元/月)."""
    data = {
        "applicant_phone": "13900001111",
        "address": "兴庆区凤凰北街幸福小区3号楼2单元501",
        "hukou_address": "",
        "standard_class": "urban",
        "reason": "丈夫患病，无稳定收入。",
        "members": members or [
            member("张秀兰", date(1980, 5, 1), "self", "600", seq=2),
            member("李建国", date(1978, 3, 9), "spouse", "300", seq=1),
            member("李小明", date(2012, 8, 20), "child", "0", seq=3),
        ],
    }
    data.update(overrides)
    return data


def accept(decision: str = "accept", note: str = "") -> dict:
    """The clerk's acceptance."""
    return {
        "materials": ["application_form", "hukou_book", "id_cards", "income_declaration", "authorization"],
        "accept_decision": decision, "accept_note": note,
    }


def investigate(members: list[dict], **overrides) -> dict:
    """The home visit, confirming the declared figures unless overridden."""
    data = {
        "visit_date": clock.today().isoformat(), "second_investigator": "马丽",
        "members_verified": [
            {"monthly_income": m["monthly_income"], "disability_level": m["disability_level"],
             "disability_kind": m["disability_kind"], "serious_illness": m["serious_illness"]}
            for m in members
        ],
        "financial_assets": "3000.00", "has_vehicle": False, "has_business": False,
        "housing": "租住", "findings": "情况属实。",
    }
    data.update(overrides)
    return data


def review(opinion: str = "agree") -> dict:
    """The township reviewer's opinion."""
    return {"review_opinion": opinion, "review_comment": "经初审，符合条件。" if opinion == "agree" else "不符合。"}


def leader(decision: str = "approve", comment: str = "") -> dict:
    """The leader's decision."""
    return {"leader_decision": decision, "meeting_ref": "2026年第12次集体研究", "leader_comment": comment}


def notice_context(name: str = "张秀兰") -> dict:
    """A complete approval-notice context as the engine records it."""
    return {
        "number": "PZ-640104001-2026-000001", "verify_code": "K7Q2-9D3M", "issued_on": "2026-12-07",
        "issuer": "凤凰北街街道办事处", "county_gov": "兴庆区人民政府", "case_no": "640104001-2026-00001",
        "applicant_name": name, "applicant_id_masked": "6401**********0021", "address": "幸福小区3号楼",
        "members": [{"name": name, "relation_label": "本人", "age": 46}],
        "amount": {"standard": "620.00", "persons": 3, "per_capita_income": "300.00", "base": "960.00",
                   "uplifts": [{"name": "李小明", "category_label": "未成年人", "rate": "0.10", "amount": "62.00"}],
                   "uplift_total": "62.00", "total": "1022.00"},
        "start_month": "2027-01", "certificate_no": "ZS-640104001-2026-000001",
        "review_cycle_label": "每年复核一次", "decision_date": "2026-12-07", "application_date": "2026-11-30",
        "contact_phone": "0951-12345",
    }
