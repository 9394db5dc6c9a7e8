"""The task queue's filters and orders (``workflows.queues``) on a generated database, checked against a recount
of its rows in Python; and the urgency of a due day in Chinese working days."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bench import generate, queue_cost
from workflows import clock, queries, queues, store
from workflows.rules import working_days_between
from workflows.store import Case, HumanTask, User


def test_the_week_ends_on_sunday_and_due_soon_means_two_working_days_left_across_weekends_and_holidays():
    monday = date(2026, 11, 30)
    assert {queues.week_end(monday + timedelta(days=n)) for n in range(7)} == {date(2026, 12, 6)}
    assert queues.due_soon_until(monday) == date(2026, 12, 2)  # Tuesday and Wednesday left
    assert queues.due_soon_until(date(2026, 12, 4)) == date(2026, 12, 8)  # Friday: the weekend, Monday, Tuesday
    assert queues.due_soon_until(date(2026, 9, 30)) == date(2026, 10, 9)  # 国庆: 8 and 9 October are the two
    assert queues.urgency(None, monday) == "normal" and queues.urgency(monday - timedelta(days=1), monday) == "overdue"
    for today in (date(2026, 1, 1) + timedelta(days=n) for n in range(0, 365, 3)):  # the definition, day by day
        for ahead in range(15):
            due = today + timedelta(days=ahead)
            expected = "due_soon" if working_days_between(today, due) <= queues.DUE_SOON_WORKING_DAYS else "normal"
            assert queues.urgency(due, today) == expected, (today, due)


@pytest.fixture
def generated(db_url):
    """3,000 generated cases of one year in the 15 townships (bench.generate): ~400 open tasks of every role."""
    built = generate.build(db_url, 3_000, townships=15, years=1)
    engine = store.make_engine(db_url)
    yield built, store.make_session_factory(engine)
    engine.dispose()


def _sort_key(sort: str):
    if sort == "received":
        return lambda t, c: (t.created_at, t.id)
    if sort == "case_no":
        return lambda t, c: c.case_no
    return lambda t, c: (t.due_on is None, t.due_on or date.min, t.created_at)


def _expected(pairs, user: User, filters: queues.QueueFilter, view: str, today: date):
    """The rows of the queue, filtered and ordered in Python: (task, case) pairs."""
    week = queues.week_end(today)
    views = {"all": lambda t: True, "mine": lambda t: t.claimed_by_id == user.id,
             "unclaimed": lambda t: t.claimed_by_id is None,
             "overdue": lambda t: t.due_on is not None and t.due_on < today,
             "week": lambda t: t.due_on is not None and today <= t.due_on <= week}
    kept = [(t, c) for t, c in pairs if t.role == user.role
            and (t.township_code == user.township_code if user.is_township_staff
                 else filters.township in (None, t.township_code))
            and filters.step in (None, t.task_spec)
            and (not filters.text or c.case_no.startswith(filters.text) or c.applicant_name.startswith(filters.text))
            and views[view](t)]
    key = _sort_key(filters.sort)
    return sorted(kept, key=lambda p: key(*p), reverse=filters.descending)


def _filters(sess, user: User, pairs) -> list[queues.QueueFilter]:
    """A spread of filters for the user: each step, a township (county roles), searches, every order."""
    steps = [s.task_spec for s in queues.steps(sess, user)]
    mine = [(t, c) for t, c in pairs if t.role == user.role]
    township = mine[len(mine) // 2][0].township_code if mine and not user.is_township_staff else None
    name = mine[0][1].applicant_name[:1] if mine else "王"
    number = mine[-1][1].case_no[:-2] if mine else "6401"
    found = [queues.QueueFilter(sort=sort, descending=down) for sort in queues.SORTS for down in (False, True)]
    found += [queues.QueueFilter(step=step) for step in steps]
    found += [queues.QueueFilter(text=name), queues.QueueFilter(text=number, sort="case_no"),
              queues.QueueFilter(text="%"), queues.QueueFilter(text="_")]
    if township:
        found += [queues.QueueFilter(township=township), queues.QueueFilter(township=township, step=steps[0],
                                                                            sort="received", descending=True)]
    return found


def test_every_view_filter_and_order_agrees_with_a_recount_of_the_rows(generated):
    built, factory = generated
    names = queue_cost._people(factory)  # the busiest township's staff and the county auditor
    checked = 0
    with store.unit_of_work(factory) as sess, clock.frozen(built.now):
        today = clock.today()
        pairs = sess.execute(select(HumanTask, Case).join(Case, Case.id == HumanTask.case_id)).all()
        for user in [sess.scalars(select(User).where(User.username == n)).one() for n in names]:
            assert queries.queue_counts(sess, user)["all"] > 0, user.username
            for filters in _filters(sess, user, pairs):
                counts = queries.queue_counts(sess, user, filters)
                for view in queues.VIEWS:
                    expected = _expected(pairs, user, filters, view, today)
                    assert counts[view] == len(expected), (user.username, filters, view)
                    rows = [r for page in range(1, len(expected) // queries.PAGE_SIZE + 2)
                            for r in queries.task_queue(sess, user, view, page, filters)]
                    key = _sort_key(filters.sort)
                    assert [key(r.task, r.case) for r in rows] == [key(*p) for p in expected], (filters, view)
                    assert len({r.task.id for r in rows}) == len(rows)  # no task on two pages
                    checked += len(rows)
    assert checked > 500


def test_township_staff_see_their_own_township_whatever_the_filter_says(generated):
    built, factory = generated
    with store.unit_of_work(factory) as sess, clock.frozen(built.now):
        clerk = sess.scalars(select(User).where(User.username == queue_cost._people(factory)[0])).one()
        other = sess.scalars(select(HumanTask.township_code).where(
            HumanTask.role == "clerk", HumanTask.township_code != clerk.township_code)).first()
        forged = queues.QueueFilter(township=other)
        assert queries.queue_counts(sess, clerk, forged) == queries.queue_counts(sess, clerk)
        rows = queries.task_queue(sess, clerk, "all", 1, forged)
        assert rows and {r.task.township_code for r in rows} == {clerk.township_code}
        assert queues.steps(sess, clerk, other) == queues.steps(sess, clerk)
