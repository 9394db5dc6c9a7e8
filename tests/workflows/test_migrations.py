"""Schema migrations: databases made by older code, with data in them, are brought to the models.

Every test runs on SQLite and PostgreSQL, on an *empty* database (the other tests get a copy of a
template that already has the schema). ``tests/data/backbone_schema/<dialect>.sql`` is the DDL that
``Base.metadata.create_all`` emitted at git commit bf1876b, before migrations existed: databases
made from it have no ``alembic_version`` table and must be recognised from their tables.
"""

import itertools
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, func, inspect, select, text

from tests import pgserver
from workflows import store
from workflows.store import Base, Case, CaseSnapshot, Document, HumanTask, OutsideCall, SimEconomicRecord, schema
from workflows.store.migrations.__main__ import main, next_revision_id

BACKBONE = "0001_backbone"
HEAD = schema.head_revision()
DDL = Path(__file__).resolve().parents[1] / "data" / "backbone_schema"
AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
TOWNSHIP = "640104001"
_numbers = itertools.count(1)


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.sqlite),
                        pytest.param("postgresql", marks=pytest.mark.postgresql)])
def new_db(request, tmp_path):
    """A function that makes an empty database on this backend and returns its engine (all removed after)."""
    engines: list[Engine] = []
    admin = None
    if request.param == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        admin = cluster.admin()
    names: list[str] = []

    def make() -> Engine:
        if admin is None:
            url = f"sqlite:///{tmp_path / f'db{len(engines)}.sqlite3'}"
        else:
            names.append(f"dibao_migration_{next(_numbers)}")
            pgserver.create_database(admin, names[-1])  # from template1: empty
            url = cluster.url(names[-1])
        engines.append(store.make_engine(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()
    if admin is not None:
        for name in names:
            pgserver.drop_database(admin, name)
        admin.close()


def _at_backbone(engine: Engine) -> None:
    with engine.begin() as conn:
        command.upgrade(schema.config(conn), BACKBONE)


def _backbone_by_create_all(engine: Engine) -> None:
    """Replay the DDL create_all emitted at the backbone: no alembic_version table."""
    ddl = (DDL / f"{engine.dialect.name}.sql").read_text(encoding="utf-8")
    lines = [line for line in ddl.splitlines() if not line.startswith("--")]
    with engine.begin() as conn:
        for statement in "\n".join(lines).split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)


def _insert_backbone_rows(engine: Engine) -> None:
    """Rows as the backbone code wrote them, through tables reflected from the database (not the models)."""
    with engine.begin() as conn:
        t = MetaData()
        t.reflect(conn)
        t = t.tables
        conn.execute(t["township"].insert().values(
            code=TOWNSHIP, name="凤凰北街街道", kind="street", county_code="640104", county_name="兴庆区",
            county_gov="银川市兴庆区人民政府", valid_from=date(2020, 1, 1)))
        user_id = conn.execute(t["user_account"].insert().values(
            username="clerk-old", display_name="老窗口", role="clerk", township_code=TOWNSHIP, password_hash="x",
            active=True, failed_logins=0, created_at=AT)).inserted_primary_key[0]
        conn.execute(t["process_spec"].insert().values(
            hash="a" * 64, process_id="dibao_application", sources="{}", created_at=AT))
        case_id = conn.execute(t["case_record"].insert().values(
            case_no="DB640104001-2026-0001", process_id="dibao_application", spec_hash="a" * 64,
            township_code=TOWNSHIP, status="REVIEWING", applicant_name="张三", applicant_id_no="640104199001011234",
            household_size=3, amount_total=Decimal("1234.50"), applied_on=date(2026, 11, 2),
            case_deadline=date(2026, 12, 1), created_by_id=user_id, updated_at=AT, last_event_seq=2,
            last_event_hash="h2", version=3, created_at=AT)).inserted_primary_key[0]
        conn.execute(t["case_snapshot"].insert().values(
            case_id=case_id, serializer_version="1.4", state='{"tasks": {}}', digest="d2"))
        conn.execute(t["case_event"].insert(), [
            {"case_id": case_id, "seq": seq, "kind": kind, "actor_id": user_id, "actor_name": "老窗口", "at": AT,
             "data": "{}", "state_digest": f"d{seq}", "prev_hash": f"h{seq - 1}", "hash": f"h{seq}"}
            for seq, kind in ((1, "application_submitted"), (2, "task_completed"))])
        conn.execute(t["human_task"].insert().values(
            id="0b7c3b5e-0000-4000-8000-000000000001", case_id=case_id, task_spec="review", title="初审",
            role="reviewer", township_code=TOWNSHIP, form="dibao_application/review", created_at=AT,
            due_on=date(2026, 11, 27)))
        conn.execute(t["document"].insert().values(
            case_id=case_id, kind="acceptance_notice", number="兴凤受〔2026〕1号", verify_code="VERIFY01",
            sha256="b" * 64, size=1000, issued_at=AT, event_seq=1, township_code=TOWNSHIP))


def _differences(engine: Engine) -> list:
    """What autogenerate would change to make the database match the models (types and defaults compared)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def _shape(engine: Engine) -> dict:
    """Tables with their columns (type, nullability, default), keys, constraints and indexes."""
    inspector = inspect(engine)
    return {table: {
        "columns": sorted((c["name"], str(c["type"]), c["nullable"], c.get("default"))
                          for c in inspector.get_columns(table)),
        "pk": inspector.get_pk_constraint(table),
        # (SQLite reflects no name for a key added inline by ALTER TABLE ADD COLUMN)
        "fks": sorted((fk["name"] or "", fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
                      for fk in inspector.get_foreign_keys(table)),
        "unique": sorted((u["name"], u["column_names"]) for u in inspector.get_unique_constraints(table)),
        "indexes": sorted((i["name"], i["column_names"], bool(i["unique"])) for i in inspector.get_indexes(table)),
    } for table in inspector.get_table_names() if table != schema.VERSION_TABLE}


def _check_backbone_data_upgraded(engine: Engine) -> None:
    """The backbone rows are all there, the new columns hold their defaults, the ORM reads and writes them."""
    with engine.connect() as conn:
        counts = {table: conn.scalar(text(f"SELECT count(*) FROM {table}")) for table in (
            "township", "user_account", "process_spec", "case_record", "case_snapshot", "case_event", "human_task",
            "document")}
        hashes = conn.execute(text("SELECT seq, hash FROM case_event ORDER BY seq")).all()
    assert counts == dict.fromkeys(counts, 1) | {"case_event": 2}
    assert [tuple(row) for row in hashes] == [(1, "h1"), (2, "h2")]
    factory = store.make_session_factory(engine)
    with store.unit_of_work(factory) as sess:
        case = sess.scalars(select(Case)).one()
        assert (case.near_relative, case.deadline_extended, case.objection_count, case.received_by) == (
            False, False, 0, None)
        assert (case.amount_total, case.version, case.created_at) == (Decimal("1234.50"), 3, AT)
        task = sess.scalars(select(HumanTask)).one()
        assert (task.escalated_at, task.case_id, task.created_at) == (None, case.id, AT)
        assert sess.scalars(select(Document)).one().case_id == case.id
        assert sess.get(CaseSnapshot, case.id).state == '{"tasks": {}}'  # compressed by 0007, read as text
        task.escalated_at = AT
        case.objection_count += 1
        sess.add(OutsideCall(case_id=case.id, task_id="0b7c3b5e-0000-4000-8000-000000000002", kind="economic_check",
                             message="economic_check_done", township_code=TOWNSHIP,
                             request={"id_no": case.applicant_id_no}, next_attempt_at=AT))
        sess.add(Document(case_id=None, kind="publicity_list", number="兴凤公〔2026〕1号", verify_code="VERIFY02",
                          sha256="c" * 64, size=2000, issued_at=AT, event_seq=0, township_code=TOWNSHIP))
        sess.add(SimEconomicRecord(source="civil_affairs", id_no=case.applicant_id_no, record={"ok": True}))
    with factory() as sess:
        case = sess.scalars(select(Case)).one()
        assert (case.objection_count, case.version) == (1, 4)  # the optimistic version counter still counts
        assert sess.scalars(select(HumanTask)).one().escalated_at == AT
        call = sess.scalars(select(OutsideCall)).one()
        assert (call.status, call.attempts, call.request) == ("pending", 0, {"id_no": "640104199001011234"})
        assert sess.scalar(select(func.count()).select_from(Document).where(Document.case_id.is_(None))) == 1


def test_a_backbone_database_with_data_is_upgraded_to_the_models(new_db):
    engine = new_db()
    _at_backbone(engine)
    _insert_backbone_rows(engine)
    assert schema.current_revision(engine) == BACKBONE
    assert schema.upgrade(engine) == HEAD
    assert schema.current_revision(engine) == HEAD
    _check_backbone_data_upgraded(engine)
    assert _differences(engine) == []
    defaults = {c["name"]: c.get("default") for c in inspect(engine).get_columns("case_record")}
    assert all(defaults[name] for name in ("near_relative", "deadline_extended", "objection_count"))


def test_an_empty_database_is_built_by_the_migrations_to_match_the_models(new_db):
    engine = new_db()
    assert schema.current_revision(engine) is None
    assert store.create_schema(engine) == HEAD
    assert schema.current_revision(engine) == HEAD
    assert _differences(engine) == []
    assert set(_shape(engine)) == set(Base.metadata.tables)


def test_revision_0001_is_the_schema_create_all_made_at_the_backbone(new_db):
    migrated, made = new_db(), new_db()
    _at_backbone(migrated)
    _backbone_by_create_all(made)
    assert _shape(migrated) == _shape(made)


def test_a_backbone_database_made_without_migrations_is_recognised_and_upgraded(new_db):
    engine = new_db()
    _backbone_by_create_all(engine)
    _insert_backbone_rows(engine)
    assert schema.current_revision(engine) is None
    assert schema.upgrade(engine) == HEAD
    _check_backbone_data_upgraded(engine)
    assert _differences(engine) == []


def test_a_database_made_by_create_all_at_the_procedure_revision_is_recognised(new_db):
    """0002 was the last schema create_all could have made (init-db used it until migrations came)."""
    engine = new_db()
    with engine.begin() as conn:
        command.upgrade(schema.config(conn), "0002_procedure")
        conn.exec_driver_sql(f"DROP TABLE {schema.VERSION_TABLE}")
    assert schema.current_revision(engine) is None
    assert schema.upgrade(engine) == HEAD
    assert _differences(engine) == []


def test_upgrade_is_idempotent(new_db):
    engine = new_db()
    _at_backbone(engine)
    _insert_backbone_rows(engine)
    schema.upgrade(engine)
    after_one = _shape(engine)
    assert schema.upgrade(engine) == store.create_schema(engine) == HEAD
    assert _shape(engine) == after_one
    with engine.connect() as conn:
        assert conn.scalar(text(f"SELECT count(*) FROM {schema.VERSION_TABLE}")) == 1
    _check_backbone_data_upgraded(engine)


def test_an_unknown_schema_is_refused_and_left_as_it_was(new_db):
    engine = new_db()
    _backbone_by_create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE chain_anchor")
    before = _shape(engine)
    with pytest.raises(schema.SchemaError, match="chain_anchor"):
        schema.upgrade(engine)
    assert _shape(engine) == before
    assert schema.VERSION_TABLE not in inspect(engine).get_table_names()


def test_downgrade_to_the_backbone_and_back_keeps_the_rows(new_db):
    engine = new_db()
    _at_backbone(engine)
    _insert_backbone_rows(engine)
    schema.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE case_record SET objection_count = 2"))
    assert schema.downgrade(engine, BACKBONE) == BACKBONE  # SQLite copies case_record, which 7 tables refer to
    assert "objection_count" not in {c["name"] for c in inspect(engine).get_columns("case_record")}
    schema.upgrade(engine)
    _check_backbone_data_upgraded(engine)


def test_a_failed_upgrade_changes_nothing(new_db):
    engine = new_db()
    _at_backbone(engine)
    with engine.begin() as conn:  # in the way of revision 0002, after it has created outside_call
        conn.exec_driver_sql("CREATE TABLE sim_economic_record (id INTEGER PRIMARY KEY)")
    before = _shape(engine)
    with pytest.raises(Exception, match="sim_economic_record"):
        schema.upgrade(engine)
    assert _shape(engine) == before  # on SQLite too: the DDL ran in one transaction, rolled back
    assert schema.current_revision(engine) == BACKBONE


def test_new_revisions_are_numbered_and_written_only_when_needed(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(schema, "MIGRATIONS", copy)
    number = int(HEAD[:4]) + 1
    assert next_revision_id("Add 近亲属 flag, (again)!") == f"{number:04d}_add_flag_again"
    assert len(next_revision_id("x" * 80)) == 32  # alembic_version.version_num is VARCHAR(32)
    assert main(["new", "nothing changed"]) == 1  # the models match the newest revision
    assert main(["new", "--empty", "by hand"]) == 0
    written = copy / "versions" / f"{number:04d}_by_hand.py"
    assert str(written) in capsys.readouterr().out
    assert f"down_revision = '{HEAD}'" in written.read_text(encoding="utf-8")
    engine = store.make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        assert schema.upgrade(engine) == f"{number:04d}_by_hand"
    finally:
        engine.dispose()
