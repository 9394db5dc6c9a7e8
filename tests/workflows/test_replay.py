"""Replay verification: a finished case replays to its recorded digests; tampering is caught."""

import dataclasses
import hashlib
import json
from datetime import date, timedelta

from sqlalchemy import delete, select, update

from tests import factories as f
from tests.drive import publish, to_notice
from tests.workflows.test_engine_flow import do, tick, to_decision
from workflows import clock, replay, settings, specs
from workflows.store import Case, CaseEvent, CaseSnapshot, ProcessSpec, Setting, unit_of_work


# The events of a finished case: 1 submitted, 2 accepted, 3 核对 answer, 4 visit, 5 second signature,
# 6 review, 7 公示 published, 8 the list issued, 9 notice over (timer), 10 decision, 11 approval notice.
def finished_case(factory, services, at_monday) -> str:
    case_no = to_decision(factory, services, f.registration())
    tick(factory, services, at_monday + timedelta(days=8))
    with clock.frozen(at_monday + timedelta(days=8)):
        do(factory, services, case_no, "leader-001", f.leader())
    return case_no


def verify(factory, case_no, services=None):
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        if services:
            return replay.verify_case(sess, case, services.render, services.store)
        return replay.verify_case(sess, case)


def test_a_finished_case_replays_step_by_step_and_its_pdf_re_renders(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    result = verify(factory, case_no, services)
    assert result.verified, result.as_dict()
    assert result.steps == 11


def test_an_edited_form_value_is_caught_at_its_step(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        ev = sess.scalars(select(CaseEvent).where(CaseEvent.seq == 4)).one()  # the home visit
        assert '"financial_assets":"3000.00"' in ev.data
        ev.data = ev.data.replace('"financial_assets":"3000.00"', '"financial_assets":"300.00"')
    result = verify(factory, case_no)
    assert not result.verified
    assert result.divergence.seq == 4 and result.divergence.kind == "task_completed"
    assert any("第 4 条事件" in p for p in result.problems)


def test_deleted_and_reordered_events_are_caught(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        sess.execute(delete(CaseEvent).where(CaseEvent.seq == 5))
    result = verify(factory, case_no)
    assert any("第 6 条事件" in p or "序号" in p for p in result.problems)
    assert result.divergence is not None and result.divergence.seq == 6  # the review was never open


def test_an_edited_snapshot_is_caught(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        snap = sess.scalars(select(CaseSnapshot)).one()
        snap.state = snap.state.replace('"1022.00"', '"2022.00"')
    result = verify(factory, case_no)
    assert any("快照" in p for p in result.problems)


def test_a_setting_changed_after_the_fact_makes_replay_diverge(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        sess.execute(update(Setting).where(Setting.key == "dibao.standard.urban").values(value='"650.00"'))
    result = verify(factory, case_no)
    assert result.divergence.seq == 5  # the assessment runs after the second investigator signs
    with unit_of_work(factory) as sess:  # a new dated value for the future leaves the past alone
        sess.execute(update(Setting).where(Setting.key == "dibao.standard.urban").values(value='"620.00"'))
        settings.set_value(sess, "dibao.standard.urban", "6401", date(2027, 7, 1), "650.00", "future standard")
    assert verify(factory, case_no).verified


def test_the_trace_shows_the_path_at_each_step(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        steps = replay.trace(sess, case)
    assert [s.seq for s in steps] == list(range(1, 12))
    first, signed, published, last = steps[0], steps[4], steps[6], steps[-1]
    assert "accept" in first.active and "prepare" in first.completed and first.status == "ACCEPTING"
    assert "accept_due" in first.active  # the due-time timer of the open task
    assert "review" in signed.active and signed.status == "REVIEWING"
    assert {"eligibility", "member_uplift", "compute_amount"} <= set(signed.completed)
    assert signed.data["amount"]["total"] == "1022.00"
    assert "public_notice" in published.active and published.status == "PUBLICIZING"
    assert last.status == "APPROVED" and {"confirm", "file_with_county", "end_approved"} <= set(last.completed)
    assert not {"accept", "investigate", "review", "leader", "public_notice"} & set(last.active)
    assert "refuse" not in last.completed and "end_not_accepted" not in last.completed


def test_an_inserted_event_is_caught(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
        for ev in sess.scalars(select(CaseEvent).where(CaseEvent.seq >= 3).order_by(CaseEvent.seq.desc())):
            ev.seq += 1  # make room, then slip a forged step in at 3
            sess.flush()
        forged = sess.scalars(select(CaseEvent).where(CaseEvent.seq == 2)).one()
        sess.add(CaseEvent(case_id=case.id, seq=3, kind="task_claimed", task_spec="investigate", actor_name="某人",
                           at=forged.at, data="{}", state_digest=forged.state_digest, prev_hash=forged.hash,
                           hash="0" * 64))
    result = verify(factory, case_no)
    assert any(p.startswith("第 3 条事件") for p in result.problems)


def test_reordered_events_are_caught(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    with unit_of_work(factory) as sess:
        third = sess.scalars(select(CaseEvent).where(CaseEvent.seq == 3)).one()
        fourth = sess.scalars(select(CaseEvent).where(CaseEvent.seq == 4)).one()
        third.seq, fourth.seq = 99, 3
        sess.flush()
        third.seq = 4
    result = verify(factory, case_no)
    assert any(p.startswith("第 3 条事件") for p in result.problems)
    assert result.divergence is not None and result.divergence.seq == 3  # the visit came before the 核对 answer


def test_a_changed_dmn_applies_to_new_cases_and_old_cases_still_verify(factory, services, at_monday):
    case_no = finished_case(factory, services, at_monday)
    sources = specs.read_sources("dibao_application")
    stricter = sources["dibao_eligibility.dmn"].replace(
        "dec(household['per_capita_income']) &lt; dec(standard)",
        "dec(household['per_capita_income']) &lt; dec(standard) - 400")
    assert stricter != sources["dibao_eligibility.dmn"]
    new = specs.parse("dibao_application", dict(sources, **{"dibao_eligibility.dmn": stricter}))
    with unit_of_work(factory) as sess:
        sess.add(ProcessSpec(hash=new.hash, process_id=new.process_id, sources=json.dumps(new.sources)))
    assert verify(factory, case_no).verified  # pinned to the version it ran on
    with unit_of_work(factory) as sess:  # force the old case onto the new rules
        sess.scalars(select(Case).where(Case.case_no == case_no)).one().spec_hash = new.hash
    forced = verify(factory, case_no)
    assert not forced.verified and forced.divergence.seq == 5  # the eligibility decision now differs


def test_a_context_is_re_rendered_once_per_process_and_renderer(monkeypatch):
    calls = []

    def render(kind, context):
        calls.append(kind)
        return json.dumps([kind, context], sort_keys=True).encode()

    cache = replay._Rendered(size=2)
    first = cache.sha256(render, "approval_notice", {"number": 1, "rows": ["甲"]})
    assert first == hashlib.sha256(render("approval_notice", {"number": 1, "rows": ["甲"]})).hexdigest()
    calls.clear()
    assert cache.sha256(render, "approval_notice", {"rows": ["甲"], "number": 1}) == first and calls == []
    assert cache.sha256(render, "approval_notice", {"number": 1, "rows": ["乙"]}) != first  # another context
    assert cache.sha256(render, "refusal_notice", {"number": 1, "rows": ["甲"]}) != first  # another kind
    assert len(calls) == 2
    cache.sha256(lambda kind, context: b"other renderer", "approval_notice", {"number": 1, "rows": ["甲"]})
    cache.sha256(render, "approval_notice", {"number": 1, "rows": ["甲"]})  # evicted (size 2): rendered again
    assert len(calls) == 3


def test_a_batch_renders_a_shared_list_once_and_still_catches_a_changed_document(factory, services, at_monday):
    sub = f.registration([f.member("赵雯婷", date(1990, 2, 3), seq=8)])
    first, second = to_notice(factory, services), to_notice(factory, services, sub)
    publish(factory, services)  # one 公示 list for both cases
    rendered = []

    def counting(kind, context):
        rendered.append(kind)
        return services.render(kind, context)

    counted = dataclasses.replace(services, render=counting)
    for case_no in (first, second):
        assert verify(factory, case_no, counted).verified
    assert rendered == ["public_notice_list"]
    with unit_of_work(factory) as sess:  # the list's context, kept in the first case's history, edited
        ev = sess.scalars(select(CaseEvent).join(Case).where(
            Case.case_no == first, CaseEvent.kind == "document_issued")).one()
        data = json.loads(ev.data)
        data["context"]["rows"][0]["applicant_name"] = "某人"
        ev.data = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    result = verify(factory, second, counted)
    assert any("按记录重新生成的文件与原件不一致" in p for p in result.problems), result.problems
    assert rendered == ["public_notice_list", "public_notice_list"]
