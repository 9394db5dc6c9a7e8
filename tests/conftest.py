"""Shared fixtures: a database per test (copied from a template built once), services, the app."""

import shutil

import pytest

from tests import factories
from webapp import create_app
from webapp.documents import render_pdf
from workflows import clock, demo, reference, store, users
from workflows.documents import DocumentStore
from workflows.step import Services

MONDAY = factories.MONDAY
users.use_cheap_hashing_for_tests()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A database file with schema, reference data and the demo users (Argon2 hashing is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = store.make_engine(f"sqlite:///{path}")
    store.create_schema(engine)
    with store.unit_of_work(store.make_session_factory(engine)) as sess:
        reference.load(sess)
        demo.create_users(sess)
    engine.dispose()
    return path


@pytest.fixture
def db_url(template_db, tmp_path):
    """A fresh copy of the template database for this test."""
    path = tmp_path / "dibao.sqlite3"
    shutil.copy(template_db, path)
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
    """The web app on the test's database."""
    return create_app({
        "TESTING": True, "DATABASE_URL": db_url, "DIBAO_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret", "DIBAO_TESTING": True,
    })


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()
