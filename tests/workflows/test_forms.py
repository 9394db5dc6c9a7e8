"""Form definitions: every file passes the meta-schema, broken ones are refused, BPMN and forms match."""

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from workflows.forms import Form, FormError, UnknownForm, form_from_dict, form_ids, load_form
from workflows.forms.definitions import FORMS_DIR, META_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
FORM_FILES = sorted(FORMS_DIR.glob("*/*.json"))
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
TEXT = {"zh": "标签", "en": "Label"}


def minimal(**field) -> dict:
    """A one-field form definition around ``field`` (default: an optional text field)."""
    spec = {"name": "a", "type": "text", "label": TEXT} | field
    return {"id": "f", "process": "p", "title": TEXT, "fields": [spec]}


def test_meta_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(json.loads(META_SCHEMA.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_form_file_passes_the_meta_schema(path):
    meta = json.loads(META_SCHEMA.read_text(encoding="utf-8"))
    raw = json.loads(path.read_text(encoding="utf-8"))
    errors = [e.message for e in Draft202012Validator(meta, format_checker=FormatChecker()).iter_errors(raw)]
    assert errors == []
    form = load_form(path.parent.name, path.stem)
    assert (form.process, form.id) == (path.parent.name, path.stem)
    Draft202012Validator.check_schema(form.json_schema())


def test_the_application_has_its_task_and_message_forms():
    assert form_ids("dibao_application") == [
        "accept", "cosign", "county_check", "deadline_extension", "deliberation", "investigate", "leader",
        "objection", "review", "start", "supplement",
    ]


def caught_messages(root: ET.Element, process: ET.Element) -> set[str]:
    """The names of the messages ``process`` waits for: receive tasks and message catch events (any depth)."""
    names = {m.get("id"): m.get("name") for m in root.iter(f"{BPMN}message")}
    refs = {task.get("messageRef") for task in process.iter(f"{BPMN}receiveTask")}
    for kind in ("startEvent", "intermediateCatchEvent", "boundaryEvent"):
        for event in process.iter(f"{BPMN}{kind}"):
            refs |= {d.get("messageRef") for d in event.iter(f"{BPMN}messageEventDefinition")}
    return {names[ref] for ref in refs if ref in names}


@pytest.mark.parametrize("bpmn", sorted((ROOT / "bpmn").glob("*.bpmn")), ids=lambda p: p.name)
def test_each_user_task_has_exactly_one_form_and_no_form_is_orphaned(bpmn):
    root = ET.parse(bpmn).getroot()
    for process in root.iter(f"{BPMN}process"):
        tasks = {t.get("id") for t in process.iter(f"{BPMN}userTask")}
        forms = set(form_ids(process.get("id")))
        assert tasks | {"start"} <= forms, "a user task has no form"
        assert forms - tasks - {"start"} <= caught_messages(root, process), "a form is neither a task nor a message"


def test_the_message_forms_are_the_messages_people_send():
    root = ET.parse(ROOT / "bpmn" / "dibao_application.bpmn").getroot()
    process = next(p for p in root.iter(f"{BPMN}process") if p.get("id") == "dibao_application")
    tasks = {t.get("id") for t in process.iter(f"{BPMN}userTask")}
    assert {"objection", "deadline_extension"} <= caught_messages(root, process)
    assert set(form_ids("dibao_application")) - tasks - {"start"} == {"objection", "deadline_extension"}


def test_only_caught_messages_make_a_form_legitimate():
    xml = (
        f'<definitions xmlns="{BPMN[1:-1]}"><message id="m1" name="objection"/><message id="m2" name="sent"/>'
        '<process id="p"><userTask id="t"/><receiveTask id="r" messageRef="m1"/>'
        '<intermediateThrowEvent id="x"><messageEventDefinition messageRef="m2"/></intermediateThrowEvent>'
        "</process></definitions>"
    )
    root = ET.fromstring(xml)
    process = next(root.iter(f"{BPMN}process"))
    assert caught_messages(root, process) == {"objection"}  # "sent" is thrown, not caught: its form is an orphan


def test_load_form_caches_and_exposes_the_definition():
    form = load_form("dibao_application", "leader")
    assert load_form("dibao_application", "leader") is form
    assert isinstance(form, Form)
    assert form.title("zh") == "审核确认（集体研究）"
    assert form.title("en_US").startswith("Decision")
    assert form.field("leader_decision")["type"] == "select"
    assert [f["name"] for f in form.fields] == ["leader_decision", "meeting_ref", "leader_comment"]
    assert form.raw["rules"] == form.rules


@pytest.mark.parametrize(
    ("process_id", "form_id"),
    [("dibao_application", "nope"), ("nope", "start"), ("..", "start"), ("dibao_application", "../start"), ("", "x")],
)
def test_unknown_or_unsafe_form_ids_raise_unknown_form(process_id, form_id):
    with pytest.raises(UnknownForm):
        load_form(process_id, form_id)


def test_a_file_in_the_wrong_place_or_not_json_is_a_form_error(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "g.json").write_text(json.dumps(minimal()), encoding="utf-8")
    (tmp_path / "p" / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(FormError, match="declares p/f"):
        load_form("p", "g", forms_dir=tmp_path)
    with pytest.raises(FormError, match="not valid JSON"):
        load_form("p", "broken", forms_dir=tmp_path)
    (tmp_path / "p" / "f.json").write_text(json.dumps(minimal()), encoding="utf-8")
    assert load_form("p", "f", forms_dir=tmp_path).fields[0]["name"] == "a"


def test_form_from_dict_copies_its_input():
    raw = minimal()
    form = form_from_dict(raw)
    raw["fields"][0]["name"] = "changed"
    assert form.fields[0]["name"] == "a"


def _table(**extra) -> dict:
    columns = [
        {"name": "n", "type": "text", "label": TEXT},
        {"name": "r", "type": "select", "label": TEXT, "options": [{"value": "self", "label": TEXT}]},
    ]
    return {"name": "t", "type": "table", "label": TEXT, "columns": columns} | extra


BROKEN = {
    "unknown type": (minimal(type="photo"), "photo"),
    "select without options": (minimal(type="select"), "options"),
    "options on text": (minimal(options=[{"value": "x", "label": TEXT}]), "options"),
    "unknown key": (minimal(colour="red"), "colour"),
    "label without English": (minimal(label={"zh": "名"}), "en"),
    "bad name": (minimal(name="Bad-Name"), "Bad-Name"),
    "max_length on integer": (minimal(type="integer", max_length=3), "max_length"),
    "bad regex": (minimal(pattern="(["), "pattern"),
    "min above max": (minimal(type="money", min="10", max="1"), "min is greater than max"),
    "date bound not a date": (minimal(type="date", min="2026-02-30"), "not a valid date bound"),
    "duplicate option": (
        minimal(type="select", options=[{"value": "x", "label": TEXT}, {"value": "x", "label": TEXT}]), "same value"
    ),
    "required_if unknown field": (minimal(required_if={"field": "zz", "equals": "y"}), "unknown field 'zz'"),
    "required_if on itself": (minimal(required_if={"field": "a", "equals": "y"}), "its own value"),
    "table column is a table": (minimal(**_table(columns=[_table()])), "table"),
    "table without columns": (minimal(type="table"), "columns"),
    "rows_from on a text": (minimal(rows_from="members"), "rows_from"),
    "readonly column without rows_from": (
        minimal(**_table(columns=[{"name": "n", "type": "text", "label": TEXT, "readonly": True}])), "readonly column"
    ),
    "unique unknown column": (minimal(**_table(unique=["zz"])), "unique: no column 'zz'"),
    "exactly_one not an option": (
        minimal(**_table(exactly_one={"column": "r", "value": "boss"})), "'boss' is not an option"
    ),
    "rows_from with max_rows": (minimal(**_table(rows_from="members", max_rows=3)), "rows_from fixes"),
    "duplicate column": (
        minimal(**_table(columns=[{"name": "n", "type": "text", "label": TEXT}] * 2)), "used twice"
    ),
}


@pytest.mark.parametrize(("raw", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_definitions_are_refused_with_the_reason(raw, expected):
    with pytest.raises(FormError) as err:
        form_from_dict(raw)
    assert expected in str(err.value)


def test_duplicate_field_names_and_bad_rules_are_refused():
    raw = minimal()
    raw["fields"].append(copy.deepcopy(raw["fields"][0]))
    with pytest.raises(FormError, match="used twice"):
        form_from_dict(raw)
    raw = minimal(type="select", options=[{"value": "x", "label": TEXT}])
    raw["rules"] = [{"if": {"field": "a", "equals": "y"}, "then": {"data": "d", "equals": True},
                     "field": "zz", "message": TEXT}]
    with pytest.raises(FormError) as err:
        form_from_dict(raw)
    assert "unknown field 'zz'" in str(err.value) and "'y' is not an option of 'a'" in str(err.value)


def _rule_form(then: dict) -> dict:
    raw = minimal(type="multiselect", options=[{"value": "x", "label": TEXT}])
    raw["rules"] = [{"if": {"field": "a", "in": ["x"]}, "then": then, "field": "a", "message": TEXT}]
    return raw


@pytest.mark.parametrize(
    ("then", "expected"),
    [
        ({"field": "a", "contains_all_data": "Bad-Name"}, "'Bad-Name' does not match"),
        ({"field": "a", "contains_all": ["x"], "contains_all_data": "d"}, "is valid under each of"),
        ({"field": "a", "contains_all": ["y"]}, "'y' is not an option of 'a'"),
    ],
)
def test_broken_list_conditions_are_refused(then, expected):
    with pytest.raises(FormError) as err:
        form_from_dict(_rule_form(then))
    assert expected in str(err.value)


def test_contains_all_data_names_a_task_data_list():
    form = form_from_dict(_rule_form({"field": "a", "contains_all_data": "required_materials"}))
    assert form.rules[0]["then"] == {"field": "a", "contains_all_data": "required_materials"}
    accept = load_form("dibao_application", "accept")
    assert accept.rules[0]["then"] == {"field": "materials", "contains_all_data": "required_materials"}
    assert accept.field("required_materials")["readonly"] is True
