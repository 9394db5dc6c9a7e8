"""Fuzzing the JSON API from its own OpenAPI document (schemathesis, through the WSGI app).

The app serves ``/api/v1/openapi.json``; schemathesis loads it through the app itself (no server)
and, for every operation, sends generated requests — bodies, query strings and path parameters
that fit the document and ones that deliberately do not — as a user drawn from several roles, each
with a bearer token from ``POST /tokens``. Every answer must be no server error, carry a status the
document declares for the operation, and have the declared content type and body schema.

The database holds demo cases at every stage (an approved one with its benefit and documents), an
issued payment roster and a county spot-check draw; path parameters are often taken from those
real objects, so the operations are fuzzed past "not found" too. One seeded database per backend
(seeding renders PDFs) serves every operation; PostgreSQL finds what SQLite lets pass (a NUL
character in text, integers beyond INTEGER), so both run.

schemathesis' own pytest integration (``from_fixture``) does not run on pytest 9.2, so the test
builds a Hypothesis test per operation from its strategy (``APIOperation.as_strategy``).
"""

import shutil
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy import select

from tests import drive, pgserver
from tests.conftest import PG_TEMPLATE
from webapp import create_app, db, services
from webapp.api import spec
from workflows import clock, demo, spot_checks, store
from workflows.store import Benefit, Case, Document, HumanTask, PaymentRoster, SpotCheckDraw, User

USERS = ("clerk-001", "investigator-001", "reviewer-001", "leader-001", "clerk-002", "auditor", "admin")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")
EXAMPLES = 25
TOWNSHIP = "640104001"
OPERATIONS = sorted(op["operationId"] for item in spec.document()["paths"].values() for op in item.values())


def _seed(app) -> dict[str, list]:
    """Demo cases at every stage, a roster and a spot-check draw; real identifiers, by path parameter name."""
    with app.app_context():
        factory, svc = db.factory(), services.get()
        demo.seed_cases(factory, svc, len(demo.STAGES))
        with store.unit_of_work(factory) as sess:
            first_month = min(sess.scalars(select(Benefit.start_month).where(Benefit.township_code == TOWNSHIP)))
        drive.roster(factory, svc, first_month)  # drawn up by the reviewer, approved (issued) by the leader
        with store.unit_of_work(factory) as sess:
            auditor = sess.scalars(select(User).where(User.username == "auditor")).one()
            first_decision = min(sess.scalars(select(Case.decided_on).where(Case.decided_on.is_not(None))))
            spot_checks.draw(sess, auditor, TOWNSHIP, first_decision, clock.today() - timedelta(days=1), svc)
        with store.unit_of_work(factory) as sess:
            return {
                "case_no": list(sess.scalars(select(Case.case_no))),
                "task_id": list(sess.scalars(select(HumanTask.id))),
                "benefit_id": list(sess.scalars(select(Benefit.id))),
                "number": [*sess.scalars(select(Document.number)), *sess.scalars(select(PaymentRoster.pdf_number))],
                "draw_id": list(sess.scalars(select(SpotCheckDraw.id))),
            }


def _tokens(app) -> dict[str, str]:
    """A bearer token per user, from ``POST /tokens``."""
    client, tokens = app.test_client(), {}
    for name in USERS:
        resp = client.post("/api/v1/tokens", json={"username": name, "password": demo.DEMO_PASSWORD})
        assert resp.status_code == 201, resp.get_data(as_text=True)
        tokens[name] = resp.get_json()["token"]
    return tokens


def _database(request, tmp_path) -> str:
    """A fresh database for the module on the backend asked for (as ``db_url`` does for one test)."""
    if request.param == "sqlite":
        path = tmp_path / "dibao.sqlite3"
        shutil.copy(request.getfixturevalue("template_db"), path)
        return f"sqlite:///{path}"
    cluster, admin = request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_admin")
    pgserver.create_database(admin, "dibao_fuzz", template=PG_TEMPLATE)
    request.addfinalizer(lambda: pgserver.drop_database(admin, "dibao_fuzz"))
    return cluster.url("dibao_fuzz")


@pytest.fixture(scope="module", params=[pytest.param("sqlite", marks=pytest.mark.sqlite),
                                        pytest.param("postgresql", marks=pytest.mark.postgresql)])
def fuzzed(request, tmp_path_factory):
    """The app on a seeded database, its OpenAPI document loaded through WSGI, real identifiers, tokens."""
    tmp_path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    app = create_app({"TESTING": True, "DATABASE_URL": _database(request, tmp_path), "SECRET_KEY": "test-secret",
                      "DIBAO_DATA_DIR": str(tmp_path / "data"), "DIBAO_TESTING": True})
    checks = {"enabled": False} | {name: {"enabled": True} for name in CHECKS}
    config = schemathesis.Config.from_dict({"checks": checks})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    yield {"schema": schema, "ids": _seed(app), "tokens": _tokens(app)}
    app.extensions["dibao_db"]["engine"].dispose()


def _strategy(operation) -> st.SearchStrategy:
    """Requests that fit the document and, where it constrains anything, ones that do not."""
    modes = [GenerationMode.POSITIVE]
    if operation.body or any(True for _ in operation.iter_parameters()):
        modes.append(GenerationMode.NEGATIVE)
    return st.one_of(*(operation.as_strategy(mode) for mode in modes))


def _fuzz(fuzzed: dict, operation) -> None:
    """One operation's Hypothesis test: generated requests, each checked as it is answered."""
    ids, tokens = fuzzed["ids"], fuzzed["tokens"]
    public = operation.definition.raw.get("security") == []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation), data=st.data())
    def exchange(case, data):
        for name in list(case.path_parameters or {}):
            if ids.get(name) and data.draw(st.booleans(), label=f"a real {name}"):
                case.path_parameters[name] = str(data.draw(st.sampled_from(ids[name]), label=name))
        user = data.draw(st.sampled_from(USERS), label="user")
        case.call_and_validate(headers={} if public else {"Authorization": f"Bearer {tokens[user]}"})

    exchange()


@pytest.mark.slow
def test_every_operation_conforms_to_the_openapi_document(fuzzed):
    """Every operation, as users of several roles: no 5xx, only declared statuses, bodies as declared.

    One test per backend (the seeded database is built once); every operation is fuzzed even
    when an earlier one fails, and the failures are reported together, by operation.
    """
    failures = {}
    for operation in map(fuzzed["schema"].find_operation_by_id, OPERATIONS):
        try:
            _fuzz(fuzzed, operation)
        except (Exception, BaseExceptionGroup) as exc:  # failed checks (a group) or a server error: reported below
            failures[operation.label] = f"{type(exc).__name__}: {exc}"
    assert not failures, "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
