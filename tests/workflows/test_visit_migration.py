"""Revision 0020 (visit cases): a visit target ended by hand before it wrote its end only into the note text
gets who ended it, when and why in the new columns; other targets and the visits are left as they were."""

from datetime import UTC, date, datetime

from sqlalchemy import MetaData, select

from tests.workflows.test_migrations import new_db  # noqa: F401 - the fixture: an empty database per backend
from workflows import store
from workflows.store import Visit, VisitTarget, schema

BEFORE = "0019_setting_revision"
AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def _rows_before(engine) -> dict[str, int]:
    """A township, two staff accounts, three targets (one ended by hand, one active, one ended by the
    register) and a visit, as the code before 0020 wrote them (tables reflected, not the models)."""
    with engine.begin() as conn:
        meta = MetaData()
        meta.reflect(conn)
        t = meta.tables
        conn.execute(t["township"].insert().values(
            code="640104001", name="凤凰北街街道", kind="street", county_code="640104", county_name="兴庆区",
            county_gov="银川市兴庆区人民政府", valid_from=date(2020, 1, 1)))
        users = {name: conn.execute(t["user_account"].insert().values(
            username=name, display_name=shown, role="clerk", township_code="640104001", password_hash="x",
            active=True, failed_logins=0, created_at=AT)).inserted_primary_key[0]
            for name, shown in (("clerk-001", "凤凰北街街道窗口"), ("clerk-x", "另一窗口"))}
        ended_note = ("村委会报告：父母外出务工\n"
                      "2026-12-10 凤凰北街街道窗口 结束探访（最后探访日 2026-12-20）：随父母迁往外地")
        ids = {}
        for name, until, note, source in (("小芳", date(2026, 12, 20), ended_note, "manual"),
                                         ("马老汉", None, "孤寡老人", "manual"),
                                         ("李小明", date(2026, 12, 31), "", "register")):
            ids[name] = conn.execute(t["visit_target"].insert().values(
                township_code="640104001", id_no=f"64010420150304{len(ids):03d}X"[-18:], name=name,
                category="left_behind", source=source, since=date(2026, 12, 1), until=until, note=note,
                registered_by_id=users["clerk-001"], created_at=AT)).inserted_primary_key[0]
        conn.execute(t["visit"].insert().values(
            target_id=ids["小芳"], township_code="640104001", visited_on=date(2026, 12, 10),
            staff_id=users["clerk-x"], method="home", notes="好。", recorded_at=AT, created_at=AT))
        return {**ids, **users}


def test_targets_ended_by_hand_get_their_end_in_the_columns(new_db):  # noqa: F811 - the fixture
    engine = new_db()
    schema.upgrade_to(engine, BEFORE)
    ids = _rows_before(engine)
    assert schema.upgrade(engine) == schema.head_revision()
    with store.unit_of_work(store.make_session_factory(engine)) as sess:
        ended = sess.get(VisitTarget, ids["小芳"])
        assert (ended.ended_by_id, ended.end_reason) == (ids["clerk-001"], "随父母迁往外地")
        assert ended.ended_at == datetime(2026, 12, 9, 16, 0, tzinfo=UTC)  # 10 December, 00:00 China time
        assert ended.note.endswith("随父母迁往外地")  # the note keeps its line
        for name in ("马老汉", "李小明"):  # active; ended by the register (no line in its note)
            other = sess.get(VisitTarget, ids[name])
            assert (other.ended_by_id, other.ended_at, other.end_reason) == (None, None, None)
        (visit,) = sess.scalars(select(Visit))
        assert (visit.case_id, visit.target_id) == (None, ids["小芳"])
