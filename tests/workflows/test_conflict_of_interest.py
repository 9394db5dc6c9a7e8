"""回避 (issue 8): nobody acts on a case of their own household or of a near relative they registered —
at every step, claims and messages included, the county roles and administrators too — and a
registration whose household holds township staff or their registered relatives is a 近亲属 case
(checked by the district) even when the application did not say so. Both backends (conftest)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.drive import case_row, do, open_task, publish, run_calls, start, tick, to_review, user
from tests.workflows.test_temp_assistance import application, decide
from workflows import access, clock, engine, procedure, queries, relatives, spot_checks, temp_assistance, users
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.store import AccessLog, CaseEvent, CaseMember, PersonIndex, StaffRelative, unit_of_work

TOWN = "640104001"
RECUSE = "Conflict of interest"  # the refusal (str() is its English message; it never names the relative)
SELF = f.member("张秀兰", date(1980, 5, 1), "self", "600", seq=2)
SPOUSE = f.member("李建国", date(1978, 3, 9), "spouse", "300", seq=1)
CHILD = f.member("李小明", date(2012, 8, 20), "child", "0", seq=3)


def household(*extra: dict) -> dict:
    return f.registration([SELF, SPOUSE, CHILD, *extra])


def colleague(factory, username: str, role: str, township: str | None = TOWN) -> None:
    """Another account of a role (the colleague who does what the involved one may not)."""
    with unit_of_work(factory) as sess:
        users.create_user(sess, username, "colleague-pass-1", role, township)


def own_id(factory, username: str, id_no: str) -> None:
    """An administrator records the staff member's 身份证号."""
    with unit_of_work(factory) as sess:
        staff = user(sess, username)
        relatives.set_id_no(sess, user(sess, "admin"), staff.id, id_no)


def register(factory, username: str, relative: dict, relation: str = "sibling", by: str | None = None) -> int:
    """``username`` (or ``by`` for them) registers ``relative`` as a near relative; the registration's id."""
    with unit_of_work(factory) as sess:
        owner = user(sess, username)
        values = {"id_no": relative["id_no"], "name": relative["name"], "relation": relation}
        return relatives.register(sess, user(sess, by or username), owner.id, values).id


def refused(factory, services, case_no: str, username: str, answers: dict) -> None:
    """``username`` may neither claim nor complete the case's open task: 回避."""
    task = open_task(factory, case_no)
    with unit_of_work(factory) as sess, pytest.raises(Forbidden, match=RECUSE) as err:
        engine.claim_task(sess, user(sess, username), task.id)
    assert "按回避规定" in err.value.message_zh
    assert not any(m[k] in err.value.message(lang) for m in (SELF, SPOUSE, CHILD) for k in ("name", "id_no")
                   for lang in ("zh", "en"))
    with unit_of_work(factory) as sess, pytest.raises(Forbidden, match=RECUSE):
        engine.complete_task(sess, user(sess, username), task.id, answers, services)
    assert open_task(factory, case_no).id == task.id and open_task(factory, case_no).claimed_by_id is None


def test_own_and_relatives_cases_are_refused_at_every_step_and_colleagues_carry_them(factory, services, at_monday):
    own_id(factory, "clerk-001", SELF["id_no"])  # the applicant is the window clerk herself
    register(factory, "investigator-001", SPOUSE)
    register(factory, "reviewer-001", CHILD, "grandchild")
    register(factory, "leader-001", SPOUSE, "spouse_sibling")
    register(factory, "auditor", SELF)  # a county role
    for name, role in (("clerk-b", "clerk"), ("investigator-b", "investigator"), ("reviewer-b", "reviewer"),
                       ("leader-b", "leader")):
        colleague(factory, name, role)
    colleague(factory, "auditor-b", "county_auditor", None)
    sub = household()
    case_no = start(factory, services, sub, clerk="clerk-b")
    assert case_row(factory, case_no).near_relative is True  # not declared: found in the register

    refused(factory, services, case_no, "clerk-001", f.accept())
    do(factory, services, case_no, "clerk-b", f.accept(materials=[*f.CORE_MATERIALS, "health_proof"]))
    assert run_calls(factory, services) == 1
    refused(factory, services, case_no, "investigator-001", f.investigate(sub["members"]))
    do(factory, services, case_no, "investigator-b", f.investigate(sub["members"]))
    do(factory, services, case_no, "investigator2-001", f.cosign())  # unrelated: unaffected
    refused(factory, services, case_no, "reviewer-001", f.review())
    do(factory, services, case_no, "reviewer-b", f.review())
    assert open_task(factory, case_no).task_spec == "county_check"  # the district's 100% check
    refused(factory, services, case_no, "auditor", f.county_check())
    do(factory, services, case_no, "auditor-b", f.county_check())
    with pytest.raises(Forbidden, match=RECUSE):  # publishing the batch is acting on it too
        publish(factory, services, "reviewer-001")
    publish(factory, services, "reviewer-b")
    with unit_of_work(factory) as sess, pytest.raises(Forbidden, match=RECUSE):
        procedure.record_objection(sess, user(sess, "clerk-001"), case_no, f.objection(), services)
    with unit_of_work(factory) as sess, pytest.raises(Forbidden, match=RECUSE):
        procedure.extend_deadline(sess, user(sess, "leader-001"), case_no,
                                  {"reason": "需补充调查"}, services)
    later = at_monday + timedelta(days=8)
    assert tick(factory, services, later) == 1
    with clock.frozen(later):
        refused(factory, services, case_no, "leader-001", f.leader())
        do(factory, services, case_no, "leader-b", f.leader())
    case = case_row(factory, case_no)
    assert case.status == "APPROVED"
    with unit_of_work(factory) as sess:  # the refused claims left nothing behind; every step by a colleague
        events = sess.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
        involved = {user(sess, n).id for n in ("clerk-001", "investigator-001", "reviewer-001", "leader-001",
                                                 "auditor")}
    assert [e for e in events if e.kind == "task_claimed" or e.actor_id in involved] == []


def test_registration_flags_staff_and_their_relatives_of_the_responsible_township_only(
        factory, services, at_monday):
    grandma = f.member("王秀英", date(1950, 2, 2), "parent", "0", seq=4)
    register(factory, "reviewer-001", grandma, "spouse_parent")
    flagged = start(factory, services, household(grandma))
    with unit_of_work(factory) as sess:
        data = queries.case_data(sess, case_row(factory, flagged))
    assert case_row(factory, flagged).near_relative is True
    assert (data["near_relative_declared"], data["near_relative_registered"], data["near_relative_details"]) == (
        True, True, "")
    with unit_of_work(factory) as sess:  # the start event records what the register said (replay reads it)
        first = sess.scalars(select(CaseEvent).where(CaseEvent.case_id == case_row(factory, flagged).id,
                                                     CaseEvent.seq == 1)).one()
    assert '"near_relative_registered":true' in first.data.replace(" ", "")

    # clerk-002 (staff of 640104002) in a household registered at 640104001's window: only the responsible
    # township's staff count, also when the case is routed there
    elsewhere = [f.member("赵雯婷", date(1990, 2, 3), seq=8), f.member("钱多多", date(1991, 3, 4), "spouse", seq=9)]
    own_id(factory, "clerk-002", elsewhere[1]["id_no"])
    not_theirs = start(factory, services, f.registration(elsewhere, responsible_township="640104003",
                                                         residence_basis="residence", residence_proof_note="居住证"))
    assert case_row(factory, not_theirs).near_relative is False
    theirs = [f.member("孙丽", date(1985, 6, 6), seq=12), f.member("吴刚", date(1984, 7, 7), "spouse", seq=13)]
    own_id(factory, "investigator-002", theirs[1]["id_no"])
    routed = start(factory, services, f.registration(theirs, responsible_township="640104002",
                                                     residence_basis="residence", residence_proof_note="居住证"))
    assert (case_row(factory, routed).township_code, case_row(factory, routed).near_relative) == ("640104002", True)


def test_own_id_no_makes_the_case_a_near_relative_case_and_unrelated_cases_stay_plain(factory, services, at_monday):
    plain = start(factory, services, household())
    assert case_row(factory, plain).near_relative is False
    son = f.member("李大明", date(2000, 1, 1), "child", "0", seq=5)
    own_id(factory, "investigator2-001", son["id_no"])
    sub = f.registration([f.member("周玉兰", date(1972, 2, 2), seq=6), son])
    assert case_row(factory, start(factory, services, sub)).near_relative is True


def test_an_ended_registration_still_bars_cases_registered_while_it_was_in_force(factory, services, at_monday):
    reg = register(factory, "clerk-001", SPOUSE, "spouse_sibling")
    colleague(factory, "clerk-b", "clerk")
    open_no = start(factory, services, household(), clerk="clerk-b")
    with unit_of_work(factory) as sess:
        ended = relatives.end(sess, user(sess, "clerk-001"), reg, "离婚，姻亲关系消除")
        assert (ended.ended_by_id, ended.end_reason, ended.ended_at) == (
            user(sess, "clerk-001").id, "离婚，姻亲关系消除", clock.now())
    refused(factory, services, open_no, "clerk-001", f.accept())  # registered while it was in force
    with unit_of_work(factory) as sess, pytest.raises(Conflict):
        relatives.end(sess, user(sess, "clerk-001"), reg, "again")
    do(factory, services, open_no, "clerk-b", f.accept("not_accept", "户籍不在本辖区"))  # the people are free again
    with clock.frozen(at_monday + timedelta(days=1)):
        fresh = start(factory, services, household(), clerk="clerk-b")
        assert case_row(factory, fresh).near_relative is False
        do(factory, services, fresh, "clerk-001", f.accept(materials=[*f.CORE_MATERIALS, "health_proof"]))
    assert case_row(factory, fresh).status == "VERIFYING"


def test_accounts_with_one_id_no_are_one_person(factory, services, at_monday):
    shared = f.id_number(date(1988, 8, 8), 21)
    own_id(factory, "investigator-001", shared)
    own_id(factory, "investigator2-001", shared)
    register(factory, "investigator-001", SPOUSE)  # registered on one account only
    case_no = start(factory, services, household())
    with unit_of_work(factory) as sess:
        case = case_row(factory, case_no)
        assert relatives.involved(sess, user(sess, "investigator2-001"), case)
        assert not relatives.involved(sess, user(sess, "clerk-001"), case)


def test_administrators_are_included(factory, services, at_monday):
    register(factory, "admin", CHILD, "grandchild")
    case_no = start(factory, services, household())
    with unit_of_work(factory) as sess:
        admin, case = user(sess, "admin"), case_row(factory, case_no)
        with pytest.raises(Forbidden, match=RECUSE):
            access.check_not_involved(sess, admin, case)
        with pytest.raises(Forbidden, match=RECUSE):  # an operator's retry of the case's 核对
            procedure.retry_call(sess, admin, case_no)
    colleague(factory, "admin-b", "admin", None)
    with unit_of_work(factory) as sess, pytest.raises(Conflict):  # another admin is only told nothing failed
        procedure.retry_call(sess, user(sess, "admin-b"), case_no)


def test_a_spot_check_of_a_refused_relatives_case_is_refused_to_that_auditor(factory, services, at_monday):
    sub = household()
    case_no = to_review(factory, services, f.registration(sub["members"], near_relative_declared=True,
                                                          near_relative_details="申请人之弟为社区居委会委员"))
    do(factory, services, case_no, "reviewer-001", f.review("propose_refuse"))
    do(factory, services, case_no, "leader-001", f.leader("reject", "经集体研究不予批准"))
    with unit_of_work(factory) as sess:  # refused: gone from the person index, still a case member
        case = case_row(factory, case_no)
        assert case.status == "REFUSED"
        assert sess.scalars(select(PersonIndex).where(PersonIndex.case_id == case.id)).all() == []
        assert sorted(sess.scalars(select(CaseMember.id_no).where(CaseMember.case_id == case.id))) == sorted(
            m["id_no"] for m in sub["members"])
    register(factory, "auditor", SPOUSE)
    colleague(factory, "auditor-b", "county_auditor", None)
    with clock.frozen(at_monday + timedelta(days=1)):
        with unit_of_work(factory) as sess:
            drawn = spot_checks.draw(sess, user(sess, "auditor"), TOWN, at_monday.date(), at_monday.date(),
                                     services, seed=7)
            (check,) = spot_checks.checks_of(sess, drawn)
        finding = {"visit_date": clock.today().isoformat(), "method": "home_visit", "finding": "confirmed",
                   "finding_detail": ""}
        refused(factory, services, check.case_no, "auditor", finding)
        do(factory, services, check.case_no, "auditor-b", finding)


def test_temporary_assistance_is_refused_to_a_relative(factory, services, at_monday):
    applicant = {"name": "王桂芳", "id_no": f.id_number(date(1975, 4, 2), 2), "relation": "self"}
    register(factory, "leader-001", applicant, "sibling")
    colleague(factory, "leader-b", "leader")
    with unit_of_work(factory) as sess:
        case_no = temp_assistance.start(sess, user(sess, "clerk-001"), application(members=[applicant]),
                                        services).case.case_no
    refused(factory, services, case_no, "leader-001", decide())
    with unit_of_work(factory) as sess:
        assert engine.claim_task(sess, user(sess, "leader-b"), open_task(factory, case_no).id).claimed_by_id


def test_the_register_keeps_who_and_when_and_only_its_owner_or_an_admin_keeps_it(factory, at_monday):
    with unit_of_work(factory) as sess:
        clerk, other, admin = user(sess, "clerk-001"), user(sess, "clerk-002"), user(sess, "admin")
        auditor = user(sess, "auditor")
        for actor in (other, auditor):
            with pytest.raises(Forbidden):
                relatives.register(sess, actor, clerk.id, {"id_no": SPOUSE["id_no"], "name": "李建国",
                                                           "relation": "sibling"})
        with pytest.raises(NotFound):
            relatives.register_of(sess, clerk, 999_999)
        row = relatives.register(sess, admin, clerk.id, {"id_no": SPOUSE["id_no"].lower(), "name": " 李建国 ",
                                                         "relation": "sibling"})
        assert (row.user_id, row.registered_by_id, row.registered_at, row.name) == (
            clerk.id, admin.id, clock.now(), "李建国")
        assert relatives.register_of(sess, auditor, clerk.id)["active"] == [row]  # county auditors read
        with pytest.raises(Forbidden):
            relatives.register_of(sess, other, clerk.id)
        with pytest.raises(Forbidden):
            relatives.end(sess, other, row.id, "不是本人的")


@pytest.mark.parametrize(("values", "field"), [
    ({"id_no": SPOUSE["id_no"][:-1] + ("1" if SPOUSE["id_no"][-1] == "0" else "0"), "name": "李建国",
      "relation": "sibling"}, "id_no"),  # the check character
    ({"id_no": SPOUSE["id_no"], "name": "", "relation": "sibling"}, "name"),
    ({"id_no": SPOUSE["id_no"], "name": "李建国", "relation": "neighbour"}, "relation"),
])
def test_registrations_are_validated(factory, at_monday, values, field):
    with unit_of_work(factory) as sess, pytest.raises(Invalid) as err:
        clerk = user(sess, "clerk-001")
        relatives.register(sess, clerk, clerk.id, values)
    assert set(err.value.details) == {field}


def test_own_number_and_duplicates_are_refused_and_id_no_changes_are_logged(factory, at_monday):
    with unit_of_work(factory) as sess:
        clerk, admin = user(sess, "clerk-001"), user(sess, "admin")
        with pytest.raises(Invalid):
            relatives.set_id_no(sess, clerk, clerk.id, "123")
        relatives.set_id_no(sess, clerk, clerk.id, SELF["id_no"])  # once, by herself
        with pytest.raises(Forbidden):
            relatives.set_id_no(sess, clerk, clerk.id, SPOUSE["id_no"])
        relatives.set_id_no(sess, admin, clerk.id, SELF["id_no"])  # an administrator corrects it
        with pytest.raises(Invalid) as err:
            relatives.register(sess, clerk, clerk.id, {"id_no": SELF["id_no"], "name": "张秀兰", "relation": "sibling"})
        assert set(err.value.details) == {"id_no"}
        spouse = {"id_no": SPOUSE["id_no"], "name": "李建国", "relation": "sibling"}
        relatives.register(sess, clerk, clerk.id, spouse)
        with pytest.raises(Invalid):  # registered already
            relatives.register(sess, clerk, clerk.id, {**spouse, "relation": "spouse"})
        log = sess.scalars(select(AccessLog).where(AccessLog.action == relatives.ID_NO_SET)
                           .order_by(AccessLog.id)).all()
        assert [(r.username, r.target) for r in log] == [("clerk-001", "clerk-001"), ("admin", "clerk-001")]
        assert all(SELF["id_no"] not in r.target for r in log)
        assert sess.scalars(select(StaffRelative)).one().registered_by_id == clerk.id


def test_the_relation_labels_are_the_models_codes():
    from workflows.store.staff_relative import RELATIONS  # noqa: PLC0415

    assert tuple(relatives.RELATIONS) == RELATIONS
