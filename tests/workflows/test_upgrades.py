"""Process upgrades: a loaded version is used by new cases; running cases move where safe; all still replay."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests import drive
from tests import factories as f
from workflows import clock, replay, specs, upgrades
from workflows.errors import Forbidden, Invalid
from workflows.store import Case, CaseEvent, CaseSnapshot, HumanTask, ProcessSpec, unit_of_work

PROCESS = "dibao_application"
BPMN = f"{PROCESS}.bpmn"
ORIGINAL = specs.read_sources(PROCESS)[BPMN]
# The visit renamed and given the second investigator's (shorter) due time: both settings exist.
RENAMED = (ORIGINAL.replace('name="入户调查"', 'name="入户调查核实"')
           .replace("working_day_deadline('dibao.deadline.investigate_wd')",
                    "working_day_deadline('dibao.deadline.cosign_wd')"))
# A new user task, 安排入户调查, between the 核对 and the visit (after the step a just registered case waits at).
VISIT_PLAN = (
    '<bpmn:userTask id="visit_plan" name="安排入户调查"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="caseStatus" value="INVESTIGATING" /></spiffworkflow:properties>'
    '</bpmn:extensionElements><bpmn:incoming>f10</bpmn:incoming><bpmn:outgoing>f10b</bpmn:outgoing></bpmn:userTask>'
)
ADDED = (ORIGINAL.replace('<bpmn:userTask id="investigate"', VISIT_PLAN + '<bpmn:userTask id="investigate"')
         .replace('<bpmn:incoming>f10</bpmn:incoming><bpmn:outgoing>f11</bpmn:outgoing>',
                  '<bpmn:incoming>f10b</bpmn:incoming><bpmn:outgoing>f11</bpmn:outgoing>')
         .replace('<bpmn:sequenceFlow id="f10" sourceRef="gw_investigate" targetRef="investigate" />',
                  '<bpmn:sequenceFlow id="f10" sourceRef="gw_investigate" targetRef="visit_plan" />'
                  '<bpmn:sequenceFlow id="f10b" sourceRef="visit_plan" targetRef="investigate" />')
         .replace("<bpmn:flowNodeRef>investigate</bpmn:flowNodeRef>",
                  "<bpmn:flowNodeRef>visit_plan</bpmn:flowNodeRef><bpmn:flowNodeRef>investigate</bpmn:flowNodeRef>"))
VISIT_PLAN_FORM = json.dumps({
    "id": "visit_plan", "process": PROCESS, "title": {"zh": "安排入户调查", "en": "Plan the home visit"},
    "fields": [{"name": "visit_plan_note", "type": "textarea", "required": True, "max_length": 200,
                "label": {"zh": "入户安排", "en": "Arrangements"}}],
}, ensure_ascii=False)


def household(name: str, seq: int) -> dict:
    return f.registration([f.member(name, date(1970 + seq, 3, 1), "self", "300", seq=seq)])


def admin(sess):
    return drive.user(sess, "admin")


def load(factory, files: dict) -> list[upgrades.Loaded]:
    with unit_of_work(factory) as sess:
        return upgrades.load_version(sess, files, admin(sess))


def state(factory, case_no: str) -> tuple:
    """What a dry run must leave alone: the version, the chain head, the snapshot."""
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        snap = sess.get(CaseSnapshot, case.id)
        return case.spec_hash, case.last_event_seq, case.last_event_hash, snap.digest, snap.state


def verified(factory, case_no: str) -> bool:
    with unit_of_work(factory) as sess:
        result = replay.verify_case(sess, sess.scalars(select(Case).where(Case.case_no == case_no)).one())
        assert result.verified, result.as_dict()
        return True


def last_event(factory, case_no: str) -> CaseEvent:
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        return sess.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == case.last_event_seq)
                            ).one()


def three_cases(factory, services) -> tuple[str, str, str]:
    """Waiting at acceptance (before the visit), at the visit, and past the visit (at the review)."""
    past = drive.to_review(factory, services, household("王三", 15))
    at_visit = drive.accepted(factory, services, household("王二", 13))
    assert drive.run_calls(factory, services) == 1
    waiting = drive.start(factory, services, household("王一", 11))
    return waiting, at_visit, past


def test_new_cases_use_a_loaded_version_and_running_cases_move_where_safe(factory, services, at_monday):
    waiting, at_visit, past = three_cases(factory, services)
    old_hash = drive.case_row(factory, waiting).spec_hash
    before = {no: state(factory, no) for no in (waiting, at_visit, past)}

    (loaded,) = load(factory, {BPMN: RENAMED})
    assert loaded.replaces == old_hash and loaded.version.hash != old_hash
    assert {"investigate", "investigate_due"} <= set(loaded.changes.changed)
    new_case = drive.start(factory, services, household("王四", 17))
    assert drive.case_row(factory, new_case).spec_hash == loaded.version.hash

    with unit_of_work(factory) as sess:
        dry = upgrades.plan(sess, PROCESS)
    verdicts = {c.case_no: c for c in dry.cases}
    assert set(verdicts) == {waiting, at_visit, past}  # the new case is on the target already
    assert verdicts[waiting].movable and verdicts[waiting].restarted == []
    assert verdicts[at_visit].movable and verdicts[at_visit].restarted == ["「入户调查」", "「入户调查」的「逾期督办」"]
    assert not verdicts[past].movable
    assert "已办结的环节「入户调查」在新版本中已修改" in verdicts[past].reasons
    assert {no: state(factory, no) for no in before} == before  # the dry run changed nothing

    with clock.frozen(at_monday + timedelta(days=1)), unit_of_work(factory) as sess:
        moved = upgrades.migrate(factory, dry, admin(sess))
    assert {(m.case_no, m.movable) for m in moved} == {(waiting, True), (at_visit, True)}
    assert state(factory, past) == before[past]
    for no in (waiting, at_visit):
        ev = last_event(factory, no)
        data = json.loads(ev.data)
        assert ev.kind == "migrated" and ev.actor_name and data["from"] == old_hash
        assert data["to"] == loaded.version.hash and "investigate" in data["changes"]["changed"]
        assert drive.case_row(factory, no).spec_hash == loaded.version.hash
    # The open visit follows the new definition: new title, due in 2 working days from the move (Tue → Thu);
    # the acceptance, unchanged, keeps the due day it had (3 working days from Monday).
    visit = drive.open_task(factory, at_visit)
    assert (visit.title, visit.due_on) == ("入户调查核实", date(2026, 12, 3))
    assert drive.open_task(factory, waiting).due_on == date(2026, 12, 3)
    assert all(verified(factory, no) for no in (waiting, at_visit, past, new_case))

    # The moved case goes on, on the new version, and still replays through the version switch.
    drive.do(factory, services, waiting, "clerk-001", f.accept(materials=[*f.CORE_MATERIALS, "health_proof"]))
    assert drive.run_calls(factory, services) == 1
    assert drive.open_task(factory, waiting).title == "入户调查核实"
    assert verified(factory, waiting)
    with unit_of_work(factory) as sess:
        again = upgrades.plan(sess, PROCESS)
    assert [(c.case_no, c.movable) for c in again.cases] == [(past, False)]


def test_a_task_added_after_the_current_one(factory, services, at_monday):
    waiting = drive.start(factory, services, household("李一", 21))
    at_visit = drive.accepted(factory, services, household("李二", 23))
    assert drive.run_calls(factory, services) == 1
    (loaded,) = load(factory, {BPMN: ADDED, f"{PROCESS}/visit_plan.json": VISIT_PLAN_FORM})
    assert "visit_plan" in loaded.changes.added and loaded.changes.forms == ["visit_plan"]

    with unit_of_work(factory) as sess:
        dry = upgrades.plan(sess, PROCESS, loaded.version.hash)
    verdicts = {c.case_no: c for c in dry.cases}
    assert verdicts[waiting].movable
    # the visit is open: the case has passed the gateway that now leads to the new step
    assert "已办结的环节「gw_investigate」在新版本中已修改" in verdicts[at_visit].reasons
    with unit_of_work(factory) as sess:
        assert [m.case_no for m in upgrades.migrate(factory, dry, admin(sess))] == [waiting]

    drive.do(factory, services, waiting, "clerk-001", f.accept(materials=[*f.CORE_MATERIALS, "health_proof"]))
    assert drive.run_calls(factory, services) == 1
    assert drive.open_task(factory, waiting).task_spec == "visit_plan"
    drive.do(factory, services, waiting, "investigator-001", {"visit_plan_note": "周三上午入户。"})
    assert drive.open_task(factory, waiting).task_spec == "investigate"
    assert verified(factory, waiting) and verified(factory, at_visit)


def test_a_dmn_table_is_part_of_every_process_that_uses_it(factory, at_monday):
    dmn = specs.read_sources(PROCESS)["dibao_eligibility.dmn"]
    stricter = dmn.replace("dec(household['per_capita_income']) &lt; dec(standard)",
                           "dec(household['per_capita_income']) &lt; dec(standard) - 50")
    assert stricter != dmn
    loaded = load(factory, {"dibao_eligibility.dmn": stricter.encode()})
    assert sorted(x.version.process_id for x in loaded) == ["dibao_application", "dibao_review"]
    assert all(x.changes.changed == ["eligibility"] for x in loaded)
    with unit_of_work(factory) as sess:
        assert all(specs.current_version(sess, x.version.process_id).hash == x.version.hash for x in loaded)
        row = sess.get(ProcessSpec, loaded[0].version.hash)
        assert row.based_on == loaded[0].replaces and row.loaded_by


@pytest.mark.parametrize("files, message", [
    ({BPMN: ORIGINAL}, "没有改变"),
    ({BPMN: ORIGINAL.replace("<bpmn:process", "\n\n<bpmn:process", 1)}, "没有改变"),  # layout only
    ({BPMN: ORIGINAL[:-200]}, "无法解析"),
    ({BPMN: ADDED}, "缺少表单"),
    ({"other_process.bpmn": ORIGINAL}, "未知的流程"),
    ({"notes.txt": "?"}, "不支持的文件"),
    ({"accept.json": "{}"}, "属于哪个流程不明确"),
    ({BPMN: b"\xff\xfe"}, "UTF-8"),
])
def test_files_that_change_nothing_or_do_not_parse_are_refused(factory, files, message):
    with unit_of_work(factory) as sess:
        count = sess.scalar(select(func.count()).select_from(ProcessSpec))
    with pytest.raises(Invalid) as err:
        load(factory, files)
    assert message in err.value.message_zh
    with unit_of_work(factory) as sess:
        assert sess.scalar(select(func.count()).select_from(ProcessSpec)) == count  # the refusal rolled back


def test_only_administrators_load_and_migrate(factory):
    with unit_of_work(factory) as sess, pytest.raises(Forbidden):
        upgrades.load_version(sess, {BPMN: RENAMED}, drive.user(sess, "leader-001"))
    with unit_of_work(factory) as sess, pytest.raises(Forbidden):
        upgrades.migrate(factory, upgrades.Plan(PROCESS, "0" * 64), drive.user(sess, "auditor"))


def test_other_deployed_files_replace_a_loaded_version(factory, tmp_path):
    (loaded,) = load(factory, {BPMN: RENAMED})
    deployed = tmp_path / "bpmn"
    deployed.mkdir()
    for name, text in specs.read_sources(PROCESS).items():
        if not name.startswith("forms/"):
            (deployed / name).write_text(text.replace('name="受理（材料审查）"', 'name="受理"'), encoding="utf-8")
    with unit_of_work(factory) as sess:
        assert specs.current_version(sess, PROCESS).hash == loaded.version.hash
        assert specs.current_version(sess, PROCESS, deployed).hash not in (loaded.version.hash, loaded.replaces)


def test_a_moved_case_pointed_back_at_its_old_version_fails_verification(factory, services, at_monday):
    waiting = drive.start(factory, services, household("赵一", 31))
    (loaded,) = load(factory, {BPMN: RENAMED})
    with unit_of_work(factory) as sess:
        upgrades.migrate(factory, upgrades.plan(sess, PROCESS), admin(sess))
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == waiting)).one()
        case.spec_hash = loaded.replaces
    with unit_of_work(factory) as sess:
        result = replay.verify_case(sess, sess.scalars(select(Case).where(Case.case_no == waiting)).one())
    assert "案件的流程版本与事件记录推演的版本不一致" in result.problems
    with unit_of_work(factory) as sess:
        tasks = sess.scalars(select(HumanTask).where(HumanTask.case_id == case.id)).all()
    assert [t.task_spec for t in tasks] == ["accept"]
