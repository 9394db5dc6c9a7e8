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
        "community": "幸福社区",
        "hukou_address": "",
        "responsible_township": "640104001",
        "residence_basis": "hukou",
        "residence_proof_note": "",
        "channel": "self",
        "agent_name": "",
        "entrustment_ref": "",
        "household_type": "family",
        "standard_class": "urban",
        "reason": "丈夫患病，无稳定收入。",
        "near_relative_declared": False,
        "near_relative_details": "",
        "members": members or [
            member("张秀兰", date(1980, 5, 1), "self", "600", seq=2),
            member("李建国", date(1978, 3, 9), "spouse", "300", seq=1),
            member("李小明", date(2012, 8, 20), "child", "0", seq=3),
        ],
    }
    data.update(overrides)
    return data


CORE_MATERIALS = ["application_form", "hukou_book", "id_cards", "income_declaration", "authorization"]


def accept(decision: str = "accept", note: str = "", materials: list[str] | None = None, other: str = "") -> dict:
    """The clerk's acceptance (by default: the five core materials, complete)."""
    return {
        "materials": CORE_MATERIALS if materials is None else materials,
        "accept_decision": decision, "accept_note": note, "other_missing": other,
    }


def supplement(decision: str = "supplied", supplied: list[str] | None = None) -> dict:
    """The clerk records the materials supplied after the 一次性告知."""
    return {"materials_supplied": supplied or [], "supplement_decision": decision, "supplement_note": ""}


def verified_row(m: dict, **overrides) -> dict:
    """One member as the home visit verifies it: the declared income as wages, unless overridden."""
    row = {
        "excluded": False, "exclusion_reason": "", "wage_income": m["monthly_income"], "business_income": "",
        "property_income": "", "transfer_income": "", "excluded_income": "", "labor_capacity": "partial",
        "disability_level": m["disability_level"], "disability_kind": m["disability_kind"],
        "serious_illness": m["serious_illness"],
    }
    row.update(overrides)
    return row


def investigate(members: list[dict], **overrides) -> dict:
    """The first investigator's home visit, confirming the declared figures unless overridden."""
    data = {
        "visit_date": clock.today().isoformat(),
        "members_verified": [verified_row(m) for m in members],
        "financial_assets": "3000.00", "homes": 0, "commercial_property": False,
        "has_vehicle": False, "has_business": False, "medical_expense": "", "education_expense": "",
        "housing_type": "rented", "housing_area": 45, "durable_goods": "电视机、洗衣机",
        "neighbours": [{"neighbour": "王大妈", "relation": "对门邻居", "statement": "家中确有病人，生活困难。"}],
        "findings": "情况属实。",
    }
    data.update(overrides)
    return data


def cosign(decision: str = "confirm") -> dict:
    """The second investigator confirms the visit record."""
    return {"cosign_present": True, "cosign_decision": decision,
            "cosign_comment": "" if decision == "confirm" else "收入情况需补充核实。"}


def review(opinion: str = "propose_approve") -> dict:
    """The township reviewer's opinion."""
    comment = "经初审，符合条件。" if opinion == "propose_approve" else "经初审，不符合条件。"
    return {"review_opinion": opinion, "review_comment": comment}


def deliberation(result: str = "agree") -> dict:
    """A community deliberation's record."""
    return {"deliberation_date": clock.today().isoformat(), "deliberation_participants": 9,
            "deliberation_result": result, "deliberation_minutes": "与会代表一致认为家庭情况属实。"}


def county_check(result: str = "agree") -> dict:
    """The district's check of a near-relative or objection case."""
    return {"county_visit_date": clock.today().isoformat(), "county_result": result,
            "county_findings": "入户核查，情况属实。"}


def leader(decision: str = "approve", comment: str = "") -> dict:
    """The leader's decision."""
    return {"leader_decision": decision, "meeting_ref": "2026年第12次集体研究", "leader_comment": comment}


def roster_approval(decision: str = "approve", comment: str = "") -> dict:
    """The leader's 审核 of a payment roster (a reason is needed to send it back)."""
    return {"roster_decision": decision, "roster_comment": comment or ("" if decision == "approve" else "漏发一户。")}


def roster_redo(decision: str = "resubmit") -> dict:
    """The reviewer draws a sent-back roster up again (or withdraws it)."""
    return {"prepare_decision": decision, "prepare_confirm": decision == "resubmit", "prepare_note": ""}


def objection() -> dict:
    """An objection received during the public notice."""
    return {"received_on": clock.today().isoformat(), "channel": "phone", "objector": "",
            "content": "反映该户家中有人在外务工，收入较高。"}


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
