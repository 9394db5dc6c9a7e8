"""HTML posts decoded into submissions, and the values a task form starts with."""

import ast
from datetime import date
from pathlib import Path

import pytest

from tests import factories as f
from workflows import forms as forms_package
from workflows.forms import decode_web_form, initial_values, load_form, validate_submission

START = load_form("dibao_application", "start")
ACCEPT = load_form("dibao_application", "accept")
INVESTIGATE = load_form("dibao_application", "investigate")


class FakePost:
    """Just enough of werkzeug's MultiDict: get, getlist and iteration over the keys."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self._data: dict[str, list[str]] = {}
        for key, value in pairs:
            self._data.setdefault(key, []).append(value)

    def get(self, key, default=None):
        values = self._data.get(key)
        return values[0] if values else default

    def getlist(self, key):
        return list(self._data.get(key, []))

    def __iter__(self):
        return iter(self._data)


def as_post(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    """A nested submission as the browser posts it (tables as name.i.col, ticked boxes as 'on')."""
    pairs = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                pairs += as_post(row, f"{name}.{i}.")
        elif isinstance(value, list):
            pairs += [(name, v) for v in value]
        elif value is True:
            pairs.append((name, "on"))
        elif value is not False and value is not None:  # not "not in (False, None)": 0 == False
            pairs.append((name, str(value)))
    return pairs


def test_a_posted_registration_decodes_and_validates():
    sub = f.registration()
    sub["members"][1]["serious_illness"] = True
    data = decode_web_form(START, FakePost([("csrf_token", "t"), *as_post(sub)]))
    assert "csrf_token" not in data
    assert data["members"][1]["serious_illness"] is True
    assert data["members"][0]["serious_illness"] is False  # unticked: not posted at all
    clean, errors = validate_submission(START, data, {}, today=date(2026, 12, 1))
    assert errors == {}
    assert [m["name"] for m in clean["members"]] == ["张秀兰", "李建国", "李小明"]


def test_empty_rows_are_dropped_and_the_rest_renumbered():
    post = FakePost([
        ("members.0.name", "张三"), ("members.0.relation", "self"),
        ("members.1.name", " "), ("members.1.relation", ""), ("members.1.id_no", ""),
        ("members.5.name", "李四"), ("members.12.bogus", "x"), ("members.x.name", "王五"), ("other.0.name", "赵六"),
    ])
    rows = decode_web_form(START, post)["members"]
    assert [r.get("name") for r in rows] == ["张三", "李四"]
    assert rows[1] == {"name": "李四", "serious_illness": False}


def test_multiselect_uses_every_ticked_box():
    post = FakePost([("materials", "hukou_book"), ("materials", "id_cards"), ("accept_decision", "accept")])
    data = decode_web_form(ACCEPT, post)
    assert data == {"materials": ["hukou_book", "id_cards"], "accept_decision": "accept"}
    assert decode_web_form(ACCEPT, FakePost([]))["materials"] == []


def test_a_readonly_multiselect_shows_the_task_data_and_ignores_the_post():
    required = [*f.CORE_MATERIALS, "entrustment"]
    post = FakePost([("required_materials", "application_form"), *as_post(f.accept(materials=list(f.CORE_MATERIALS)))])
    data = decode_web_form(ACCEPT, post, {"required_materials": required})
    assert data["required_materials"] == required
    assert "required_materials" not in decode_web_form(ACCEPT, post)
    errors = validate_submission(ACCEPT, data, {"required_materials": required}, today=date(2026, 12, 1))[1]
    assert errors == {"materials": "应交材料不齐全，不能受理：请选择“一次性告知补正”"}
    assert initial_values(ACCEPT, {"required_materials": required})["required_materials"] == required
    assert initial_values(ACCEPT, {})["required_materials"] == []


def test_rows_from_tables_keep_every_row_and_show_readonly_values():
    context = {"members": f.registration()["members"]}
    visit = f.investigate(context["members"])
    post = FakePost([(k, v) for k, v in as_post(visit) if not k.startswith("members_verified.2.")])
    data = decode_web_form(INVESTIGATE, post, context)
    assert len(data["members_verified"]) == 3
    assert data["members_verified"][2] == {
        "name": "李小明", "id_no": context["members"][2]["id_no"], "excluded": False, "serious_illness": False
    }
    without_context = decode_web_form(INVESTIGATE, post)["members_verified"]
    assert len(without_context) == 2 and "name" not in without_context[0]
    errors = validate_submission(INVESTIGATE, data, context, today=date(2026, 12, 1))[1]
    assert errors == {
        "members_verified.2.labor_capacity": "请选择劳动能力",
        "members_verified.2.disability_level": "请选择残疾等级",
    }


def test_a_posted_home_visit_decodes_and_validates():
    context = {"members": f.registration()["members"]}
    visit = f.investigate(context["members"], visit_date="2026-11-30", medical_expense="120.5")
    visit["members_verified"][1].update(excluded=True, exclusion_reason="prison", wage_income="0")
    data = decode_web_form(INVESTIGATE, FakePost(as_post(visit)), context)
    clean, errors = validate_submission(INVESTIGATE, data, context, today=date(2026, 12, 1))
    assert errors == {}
    assert (clean["homes"], clean["medical_expense"], clean["education_expense"]) == (0, "120.50", None)
    assert [(r["excluded"], r["exclusion_reason"], r["wage_income"]) for r in clean["members_verified"]] == [
        (False, "", "600.00"), (True, "prison", "0.00"), (False, "", "0.00")]


def test_posted_readonly_values_are_not_read():
    context = {"members": f.registration()["members"]}
    pairs = as_post(f.investigate(context["members"])) + [("members_verified.0.name", "冒名顶替")]
    data = decode_web_form(INVESTIGATE, FakePost(pairs), context)
    assert data["members_verified"][0]["name"] == "张秀兰"
    assert "name" not in decode_web_form(INVESTIGATE, FakePost(pairs))["members_verified"][0]


@pytest.mark.parametrize(("posted", "expected"), [([], False), (["on"], True), (["off"], False), (["0", "1"], True)])
def test_checkboxes(posted, expected):
    post = FakePost([("has_vehicle", v) for v in posted])
    assert decode_web_form(INVESTIGATE, post)["has_vehicle"] is expected


def test_initial_values_of_a_new_registration():
    values = initial_values(START, {})
    assert values["members"] == [] and values["applicant_phone"] is None and values["standard_class"] is None


def test_initial_values_prefill_the_investigation_from_the_registered_members():
    members = f.registration()["members"]
    members[1].update(disability_level="3", disability_kind="mental", serious_illness=True)
    values = initial_values(INVESTIGATE, {"members": members, "visit_date": "2026-11-30"})
    assert values["visit_date"] == "2026-11-30"
    assert values["has_vehicle"] is False and values["findings"] is None and values["neighbours"] == []
    assert values["members_verified"][1] == {
        "name": "李建国", "id_no": members[1]["id_no"], "excluded": False, "exclusion_reason": None,
        "wage_income": None, "business_income": None, "property_income": None, "transfer_income": None,
        "excluded_income": None, "labor_capacity": None, "disability_level": "3", "disability_kind": "mental",
        "serious_illness": True,
    }


def test_initial_values_prefer_what_was_entered_before():
    members = f.registration()["members"]
    earlier = [{"name": "X", "id_no": "Y", "wage_income": "450.00", "disability_level": "2", "excluded": True}, {}, {}]
    values = initial_values(INVESTIGATE, {"members": members, "members_verified": earlier})
    first = values["members_verified"][0]
    assert (first["name"], first["id_no"]) == ("张秀兰", members[0]["id_no"])
    assert (first["wage_income"], first["disability_level"], first["excluded"]) == ("450.00", "2", True)
    assert values["members_verified"][1]["disability_level"] == "0"  # nothing entered: the registered value


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module or "")
    return names


def test_the_forms_package_does_not_import_the_web_stack():
    imported = set().union(*(_imports(p) for p in Path(forms_package.__file__).parent.glob("*.py")))
    assert imported and not {n for n in imported if n.split(".")[0] in ("flask", "werkzeug", "webapp")}
