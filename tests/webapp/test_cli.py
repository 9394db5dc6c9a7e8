"""The commands of DESIGN.md "Interfaces": init-db, create-user, tick, seed-demo."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from tests import factories as f
from tests.drive import accepted, publicized
from webapp import create_app, db, services
from workflows import clock, demo, reserve, store
from workflows.documents import DocumentStore
from workflows.step import Services
from workflows.store import Benefit, Case, OutsideCall, PaymentRoster, User

ROOT = Path(__file__).resolve().parents[2]


def test_init_db_is_idempotent_and_create_user_reads_the_password(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0 and "新增 0 项设置" in again.output
    result = runner.invoke(args=["create-user", "wang", "--role", "reviewer", "--township", "640104100"],
                           input="a-long-password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        wang = db.session().scalars(select(User).where(User.username == "wang")).one()
        assert (wang.role, wang.township_code) == ("reviewer", "640104100")
        assert wang.password_hash.startswith("$argon2id$")
    args = ["create-user", "li", "--role", "clerk", "--township", "999999999"]
    bad = runner.invoke(args=args, input="a-long-password\n")
    assert bad.exit_code == 1 and "乡镇" in bad.output


def test_tick_with_a_set_clock_needs_testing_mode(db_url, tmp_path):
    config = {"DATABASE_URL": db_url, "DIBAO_DATA_DIR": str(tmp_path), "SECRET_KEY": "x", "DIBAO_TESTING": False}
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["tick", "--now", "2027-01-01T00:00:00+08:00"])
    assert result.exit_code == 1 and "DIBAO_TESTING" in result.output


def test_seed_demo_makes_cases_at_every_stage(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--cases", str(len(demo.STAGES))])
    assert result.exit_code == 0, result.output
    with app.app_context():
        statuses = set(db.session().scalars(select(Case.status).where(Case.process_id == "dibao_application")))
        balance = reserve.balance(db.session(), "640104001")
        benefits = list(db.session().scalars(select(Benefit.status)))
        rosters = db.session().execute(select(Case.status, Case.applicant_name).where(
            Case.process_id == "payment_roster").order_by(Case.id)).all()
        issued = db.session().scalars(select(PaymentRoster.month)).all()
    assert statuses == set(demo.STAGES), f"demo.seed_cases reached no case in {set(demo.STAGES) - statuses}"
    # the first month paid is issued through the roster's process; the next one may wait for the leader
    assert rosters[0][0] == "ROSTER_ISSUED" and issued == [rosters[0][1][:7]]
    assert {status for status, _ in rosters[1:]} <= {"ROSTER_REVIEWING"}
    assert str(balance) == "20000.00"  # every township's reserve has its opening deposit
    assert benefits and set(benefits) == {"ACTIVE"}  # approved households are on the register


def test_the_worker_answers_checks_fires_due_timers_and_stops_on_sigterm(app, db_url, factory, tmp_path, services):
    """A real worker process: it answers a waiting 核对 and ends a notice period that is over."""
    svc = Services(services.render, DocumentStore(tmp_path / "data" / "documents"))
    with clock.frozen(datetime(2026, 10, 12, 9, 0, tzinfo=clock.CHINA_TZ)):  # notice long over by now
        published = publicized(factory, svc)
        waiting = accepted(factory, svc, f.registration([f.member("赵雯婷", date(1990, 2, 3), seq=8, income="100")]))
    env = {**os.environ, "DATABASE_URL": db_url, "DIBAO_DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x"}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.2"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wanted = {published: "PENDING_DECISION", waiting: "INVESTIGATING"}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and {no: _status(factory, no) for no in wanted} != wanted:
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert {no: _status(factory, no) for no in wanted} == wanted, out
    assert proc.returncode == 0 and "已停止" in out


def test_retry_calls_after_an_incident(app, at_monday):
    app.config["DIBAO_SIM_FAILING_SOURCES"] = "tax, vehicle"
    with app.app_context():
        case_no = accepted(db.factory(), services.get())
    runner = app.test_cli_runner()
    ticked = runner.invoke(args=["tick"])
    assert ticked.exit_code == 0 and "外部核对已答复：0 件" in ticked.output
    with app.app_context():
        call = db.session().scalars(select(OutsideCall)).one()
        assert (call.status, call.attempts) == ("incident", 1) and "纳税" in call.last_error
    assert runner.invoke(args=["retry-calls"]).exit_code == 1  # a case or --all is required
    still = runner.invoke(args=["retry-calls", "--case", case_no])
    assert still.exit_code == 1 and "成功 0 项" in still.output, still.output
    app.config["DIBAO_SIM_FAILING_SOURCES"] = ()  # the source is back
    fixed = runner.invoke(args=["retry-calls", "--all"])
    assert fixed.exit_code == 0 and f"{case_no}：重试 1 项外部核对，成功 1 项" in fixed.output, fixed.output
    with app.app_context():
        assert db.session().scalars(select(Case.status)).one() == "INVESTIGATING"
    nothing = runner.invoke(args=["retry-calls", "--case", case_no])
    assert nothing.exit_code == 1 and "没有待处理" in nothing.output


def test_failing_sources_come_from_the_environment(monkeypatch, db_url, tmp_path):
    monkeypatch.setenv("DIBAO_SIM_FAILING_SOURCES", "tax, vehicle,")
    app = create_app({"DATABASE_URL": db_url, "DIBAO_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["DIBAO_SIM_FAILING_SOURCES"] == ("tax", "vehicle")
    app.extensions["dibao_db"]["engine"].dispose()


def _status(factory, case_no: str) -> str:
    with store.unit_of_work(factory) as sess:
        return sess.scalars(select(Case.status).where(Case.case_no == case_no)).one()


def test_health_and_readiness(app, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


def test_readiness_fails_on_an_empty_database(tmp_path):
    empty = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/empty.db", "SECRET_KEY": "x",
                        "DIBAO_DATA_DIR": str(tmp_path)})
    resp = empty.test_client().get("/readyz")
    assert resp.status_code == 503 and "init-db" in resp.get_json()["problems"][0]


def test_readiness_fails_on_a_schema_older_than_the_release(tmp_path):
    old = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/old.db", "SECRET_KEY": "x",
                      "DIBAO_DATA_DIR": str(tmp_path)})
    engine = old.extensions["dibao_db"]["engine"]
    store.schema.upgrade(engine)
    store.schema.downgrade(engine, "0008_temporary_assistance")
    resp = old.test_client().get("/readyz")
    assert resp.status_code == 503 and "this release needs" in " ".join(resp.get_json()["problems"])
    store.create_schema(engine)  # what init-db does
    assert old.test_client().get("/readyz").status_code == 200
    engine.dispose()


def test_backup_then_restore_into_an_empty_database_verifies_every_case(app, tmp_path):
    with app.app_context(), clock.frozen(f.MONDAY):
        publicized(db.factory(), services.get())
    archive = tmp_path / "dibao.tar.gz"
    made = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "已备份" in made.output and archive.exists()
    target = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
                         "DIBAO_DATA_DIR": str(tmp_path / "restored"), "SECRET_KEY": "t", "DIBAO_TESTING": True})
    try:
        restored = target.test_cli_runner().invoke(args=["restore", str(archive)])
        assert restored.exit_code == 0, restored.output
        assert "全部 1 件案件验证通过" in restored.output
        again = target.test_cli_runner().invoke(args=["restore", str(archive)])
        assert again.exit_code == 1 and "不是空的" in again.output
    finally:
        target.extensions["dibao_db"]["engine"].dispose()
