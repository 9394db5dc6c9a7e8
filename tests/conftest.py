"""Shared fixtures: a database per test (copied from a template built once), services, the app.

Every test that uses ``db_url`` (directly or through ``factory``, ``app``, ``client``) runs twice:
``test_x[sqlite]`` on a copy of a template SQLite file and ``test_x[postgresql]`` on a database
created from a template database in a throwaway PostgreSQL cluster (``tests/pgserver.py``; one
cluster per pytest process, so one per xdist worker). If PostgreSQL cannot be started the
PostgreSQL tests fail; ``DIBAO_SKIP_PG=1`` skips them instead, explicitly.
"""

import itertools
import os
import shutil

import pytest

from tests import factories, pgserver
from webapp import create_app
from webapp.documents import render_pdf
from workflows import clock, demo, reference, store, users
from workflows.documents import DocumentStore
from workflows.step import Services

MONDAY = factories.MONDAY
BACKENDS = ["sqlite", "postgresql"]
PG_TEMPLATE = "dibao_template"
users.use_cheap_hashing_for_tests()


def pytest_collection_modifyitems(items):
    """Mark each database test with its backend, so ``-m postgresql`` or ``-m "not postgresql"`` selects."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") in BACKENDS:
            item.add_marker(callspec.params["db_url"])


def _load_template(url: str) -> None:
    """Schema, reference data and the demo users (Argon2 hashing is slow: done once per template)."""
    engine = store.make_engine(url)
    try:
        store.create_schema(engine)
        with store.unit_of_work(store.make_session_factory(engine)) as sess:
            reference.load(sess)
            demo.create_users(sess)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A SQLite database file with schema, reference data and the demo users."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _load_template(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_cluster():
    """This process's throwaway PostgreSQL cluster (started on first use, removed at the end)."""
    if os.environ.get("DIBAO_SKIP_PG") == "1":
        pytest.skip("DIBAO_SKIP_PG=1: PostgreSQL tests skipped on request")
    problem = cluster = None
    try:
        cluster = pgserver.start_cluster()
    except pgserver.PostgresUnavailable as exc:
        problem = str(exc)
    if problem:  # failed, not skipped: a run that could not test PostgreSQL must not pass
        pytest.fail(f"cannot start PostgreSQL for the [postgresql] tests: {problem}", pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_admin(pg_cluster):
    """An autocommit connection to the cluster's maintenance database, with the template database built."""
    with pg_cluster.admin() as admin:
        pgserver.create_database(admin, PG_TEMPLATE)
        _load_template(pg_cluster.url(PG_TEMPLATE))
        yield admin


_pg_numbers = itertools.count(1)


@pytest.fixture
def pg_db_url(pg_cluster, pg_admin):
    """A fresh PostgreSQL database copied from the template, dropped after the test."""
    name = f"dibao_test_{next(_pg_numbers)}"
    pgserver.create_database(pg_admin, name, template=PG_TEMPLATE)
    yield pg_cluster.url(name)
    pgserver.drop_database(pg_admin, name)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A fresh copy of the template database for this test, on each backend in turn."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_db_url")
    path = tmp_path / "dibao.sqlite3"
    shutil.copy(request.getfixturevalue("template_db"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def factory(db_url):
    """Session factory on the test's database."""
    engine = store.make_engine(db_url)
    yield store.make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def services(tmp_path):
    """The real PDF renderer and a document store in the test's folder."""
    return Services(render=render_pdf, store=DocumentStore(tmp_path / "documents"))


@pytest.fixture
def at_monday():
    """Freeze the domain clock on a working Monday."""
    with clock.frozen(MONDAY):
        yield MONDAY


@pytest.fixture
def app(db_url, tmp_path):
    """The web app on the test's database (its engine is closed after the test).

    The worker's daily 探访 scheduling is off here (else every household approved with a key person would
    get visit cases at the first pass); tests of it switch ``DIBAO_VISIT_SCHEDULE`` on.
    """
    app = create_app({
        "TESTING": True, "DATABASE_URL": db_url, "DIBAO_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret", "DIBAO_TESTING": True, "DIBAO_VISIT_SCHEDULE": False,
    })
    yield app
    app.extensions["dibao_db"]["engine"].dispose()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()
