"""The P3, P4 and P6 benchmarks at a tiny size (``python -m bench queues|throughput|replay``), and the queue
queries they measure checked against a recount of the rows (both backends)."""

import pytest
from sqlalchemy import func, select, update

from bench import generate, queue_cost, replay_cost, throughput
from bench.__main__ import main
from bench.queue_cost import VIEWS
from webapp import readside
from workflows import clock, queries, queues, reviews, specs, store
from workflows.store import ACTIVE_STATUSES, Benefit, Case, CaseEvent, HumanTask, Township, User


@pytest.fixture
def generated(db_url):
    """A database of 3,000 generated cases (six chunks, so reviews of earlier approvals are among them)."""
    built = generate.build(db_url, 3_000)
    engine = store.make_engine(db_url)
    yield built, store.make_session_factory(engine)
    engine.dispose()


def test_the_generated_rows_are_what_the_read_models_would_hold(generated):
    built, factory = generated
    with store.unit_of_work(factory) as sess:
        assert sess.scalar(select(func.count()).select_from(Case)) == built.cases == 3_000
        assert sess.scalar(select(func.count()).select_from(Township)) == built.townships == 100
        assert sess.scalar(select(func.count()).select_from(HumanTask)) == built.tasks > 50
        assert sess.scalar(select(func.count()).select_from(Benefit)) == built.benefits == sess.scalar(
            select(func.count()).select_from(Case).where(Case.status == "APPROVED"))
        pairs = sess.execute(select(HumanTask, Case).join(Case, Case.id == HumanTask.case_id)).all()
        versions = {h: specs.version_by_hash(sess, h) for h in {c.spec_hash for _, c in pairs}}
        for task, case in pairs:  # an open case, at the user task of its status, in the task's lane
            spec = versions[case.spec_hash].task_spec(task.task_spec)
            assert case.status in ACTIVE_STATUSES and task.township_code == case.township_code
            assert (task.role, spec.extensions["properties"]["caseStatus"]) == (spec.lane, case.status)
        assert {role for role, in sess.execute(select(HumanTask.role).distinct())} == {
            "clerk", "investigator", "reviewer", "leader", "county_auditor"}
        reviewed = sess.execute(select(Case.township_code, Benefit.township_code).join(
            Benefit, Benefit.id == Case.benefit_id)).all()
        assert len(reviewed) > 100 and all(a == b for a, b in reviewed)


def _recount(tasks: list[HumanTask], user: User, today) -> dict[str, int]:
    return {"all": len(tasks), "mine": sum(t.claimed_by_id == user.id for t in tasks),
            "unclaimed": sum(t.claimed_by_id is None for t in tasks),
            "overdue": sum(t.due_on is not None and t.due_on < today for t in tasks),
            "week": sum(t.due_on is not None and today <= t.due_on <= queues.week_end(today) for t in tasks)}


def test_queues_come_in_due_order_and_their_counts_match_the_rows(generated):
    built, factory = generated
    names = queue_cost._people(factory)  # the busiest township's staff and the county auditor
    with store.unit_of_work(factory) as sess:  # a task without a due day goes last, on both backends
        township = sess.scalars(select(User.township_code).where(User.username == names[1])).one()
        first = select(HumanTask.id).where(HumanTask.role == "investigator", HumanTask.township_code == township)
        first = first.order_by(HumanTask.due_on).limit(1).scalar_subquery()
        assert sess.execute(update(HumanTask).where(HumanTask.id == first).values(due_on=None)).rowcount == 1
    seen = 0
    with store.unit_of_work(factory) as sess, clock.frozen(built.now):
        for user in [sess.scalars(select(User).where(User.username == n)).one() for n in names]:
            mine = select(HumanTask).where(HumanTask.role == user.role)
            if user.is_township_staff:
                mine = mine.where(HumanTask.township_code == user.township_code)
            tasks = list(sess.scalars(mine))
            assert queries.queue_counts(sess, user) == _recount(tasks, user, clock.today())
            rows = queries.task_queue(sess, user, "all")
            assert len(rows) == min(len(tasks), queries.PAGE_SIZE)
            seen += len(rows)
            keys = [(r.task.due_on is None, r.task.due_on or clock.today(), r.task.created_at) for r in rows]
            assert keys == sorted(keys)
            everyone = sorted((t.due_on is None, t.due_on or clock.today(), t.created_at) for t in tasks)
            assert keys == everyone[: len(keys)]
            overdue = queries.task_queue(sess, user, "overdue")
            assert all(r.task.due_on < clock.today() for r in overdue)
    assert seen > 10


def test_the_reviews_due_count_agrees_with_the_list_in_every_township(generated):
    built, factory = generated
    with store.unit_of_work(factory) as sess:  # benefits with a review under way fall due, as they do
        running = select(Case.benefit_id).where(Case.benefit_id.is_not(None), Case.status.in_(ACTIVE_STATUSES))
        assert sess.execute(update(Benefit).where(Benefit.id.in_(running)).values(
            next_review_on=built.now.date())).rowcount > 3
    with store.unit_of_work(factory) as sess, clock.frozen(built.now):
        clerks = sess.scalars(select(User).where(User.role == "clerk")).all()
        figures = [(reviews.count_due(sess, c), len(reviews.reviews_due(sess, c))) for c in clerks]
        assert all(count == listed for count, listed in figures)
        assert sum(count for count, _ in figures) > 20
        assert readside.nav_counts(sess, clerks[0])["reviews_due"] == figures[0][0]


def test_p3_measures_the_queue_page_through_its_functions_and_the_web(db_url):
    result = queue_cost.measure(db_url, 600, repeats=2)
    assert result.built.cases == 600
    parts = result.parts
    assert parts["page queries"].n == 5 * len(VIEWS) * 2  # five users, every view, two repetitions
    assert 0 < parts["task_queue"].p50 <= parts["task_queue"].p95 < parts["page queries"].p95 + 1e-9
    assert 0 < parts["queue_steps"].p50 <= parts["queue_steps"].p95
    assert 0 < result.page.p50 <= result.page.p95 and result.page.n == 5 * len(VIEWS) * 2
    assert result.load[0] >= 0 and result.backend == db_url.split(":")[0].split("+")[0]
    assert any(line.startswith(f"{result.backend} 600") for line in queue_cost.report([result]))


@pytest.mark.slow
def test_p4_completes_tasks_over_http_under_gunicorn_and_logs_each_once(db_url, tmp_path):
    options = throughput.Options(clients=2, seconds=1.0, workers=1, threads=2, per_client=10, warmup=1)
    result = throughput.measure(db_url, options, tmp_path)
    assert result.completions > 0 and not result.failures, result.failures
    assert result.events == result.completions  # one task_completed event per 302, none lost or doubled
    assert 0 < result.percentile(0.5) <= result.percentile(0.95)
    assert result.cpu["app"] > 0 and (result.cpu["database"] > 0) == (result.backend == "postgresql")
    engine = store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            verifying = conn.scalar(select(func.count()).select_from(Case).where(Case.status == "VERIFYING"))
    finally:
        engine.dispose()
    assert verifying == result.completions + options.warmup * options.clients  # accepted: waiting for 核对
    assert f"{result.completions:>6}" in throughput.report([result])[1]


def test_the_bench_command_runs_the_queue_benchmark_at_its_smoke_size(capsys):
    assert main(["queues", "--smoke", "--backends", "sqlite"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in out[1:3]] == [["sqlite", "200"], ["sqlite", "2,000"]]
    assert out[3].startswith("P3 sqlite: p95 2,000 / 200 cases")
    with pytest.raises(SystemExit):
        main(["queues", "--backends", "oracle"])


def test_p6_builds_cases_through_the_engine_and_verifies_them_all_in_two_processes(db_url, tmp_path):
    result = replay_cost.measure(db_url, 6, workers=2, folder=tmp_path, documents=True)
    assert result.built.cases == len(result.timings) == 6 and result.workers == 2
    assert all(t.verified for t in result.timings), [t.problems for t in result.timings]
    assert sum(t.steps for t in result.timings) == result.built.events  # every event of every case replayed
    assert len({t.case_no for t in result.timings}) == 6  # each case once, in one of the two processes
    assert result.wall > 0 and all(t.cpu > 0 for t in result.timings)
    assert result.extrapolated_minutes == pytest.approx(100_000 * result.wall / 6 / 60)
    lines = replay_cost.report(result)
    assert lines[0].startswith(f"P6 {result.backend}: 6 cases built through the engine")
    assert "6/6 verified" in lines[1] and "documents re-rendered" in lines[1]
    assert "extrapolated linearly from 6 cases" in lines[-1]


def test_p6_finds_a_tampered_case_among_the_others(db_url, tmp_path):
    replay_cost.build(db_url, 4, tmp_path / "documents")
    engine = store.make_engine(db_url)
    try:
        with engine.begin() as conn:  # an edited event of the last case
            last = conn.scalar(select(func.max(CaseEvent.case_id)))
            conn.execute(update(CaseEvent).where(CaseEvent.case_id == last, CaseEvent.seq == 1)
                         .values(actor_name="某人"))
    finally:
        engine.dispose()
    _, timings = replay_cost.verify_all(db_url, 2)
    assert [t.verified for t in timings].count(False) == 1
    assert "第 1 条事件：哈希链断裂" in next(t for t in timings if not t.verified).problems


@pytest.mark.slow
def test_the_bench_command_runs_the_replay_benchmark_at_its_smoke_size(capsys):
    assert main(["replay", "--smoke"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("P6 sqlite: 12 cases") and "12/12 verified" in out[1]
