"""Browser tests: the real app served on a free local port, driven by headless Chromium (Playwright).

The app runs in a thread of the test process, on its own SQLite file prepared here (not with the
suite's database fixtures, so that these tests do not depend on how those are built). Its domain
clock is real time: the server thread never sees a frozen clock.
"""

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from webapp import create_app, db, services
from workflows import demo, reference, store, users

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"  # Debian's build (`make testdeps`); Playwright never downloads one
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
CLI_TIMEOUT_S = 120
DESKTOP = {"width": 1280, "height": 800}
DEMO_CASES = 12  # seed-demo's default: every stage in the first township, a few elsewhere


@dataclass
class LiveServer:
    """The running app: its address, the app itself (for set-up in the test's own thread, with the clock
    it sets) and the CLI on the same database and data folder."""

    url: str
    env: dict[str, str] = field(repr=False)
    app: Flask = field(repr=False)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run `flask --app wsgi <args>` in a subprocess with the server's settings."""
        return subprocess.run(  # noqa: S603 - fixed command, test-made arguments
            [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=CLI_TIMEOUT_S, check=False,
        )


def _prepare_database(url: str) -> None:
    users.use_cheap_hashing_for_tests()  # the demo accounts are hashed with cheap Argon2 settings
    engine = store.make_engine(url)
    store.create_schema(engine)
    with store.unit_of_work(store.make_session_factory(engine)) as sess:
        reference.load(sess)
        demo.create_users(sess)
    engine.dispose()


@contextmanager
def _serve(folder: Path) -> Iterator[LiveServer]:
    """The web app on a fresh database in ``folder``, served by werkzeug on 127.0.0.1 and a free port."""
    config = {
        "DATABASE_URL": f"sqlite:///{folder / 'dibao.sqlite3'}", "DIBAO_DATA_DIR": str(folder / "data"),
        "SECRET_KEY": "e2e-secret", "DIBAO_TESTING": True,
    }
    _prepare_database(config["DATABASE_URL"])
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    env = {**os.environ, **{k: str(v) for k, v in config.items()}, "DIBAO_TESTING": "1"}
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", env=env, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["dibao_db"]["engine"].dispose()


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    """The web app on a fresh database (demo accounts, no cases), for one test."""
    with _serve(tmp_path) as server:
        yield server


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The web app on the demo data (`seed-demo`: cases at every stage, reserves, visit targets, rosters),
    shared by the tests of a module that only look (nothing they do may change what another one sees)."""
    with _serve(tmp_path_factory.mktemp("demo")) as server:
        with server.app.app_context():
            demo.seed_cases(db.factory(), services.get(), DEMO_CASES)
            demo.seed_rosters(db.factory(), services.get())
        yield server


def open_page(browser: Browser, server: LiveServer, **options) -> Page:
    """A fresh browser context (own cookies), Chinese, based at ``server``; 1280×800 unless told."""
    context = browser.new_context(base_url=server.url, locale="zh-CN", **{"viewport": DESKTOP, **options})
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system (never a downloaded build)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make testdeps` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (make testdeps installs it)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser context (own cookies) at 1280×800, Chinese, based at the live server."""
    tab = open_page(browser, live_server)
    try:
        yield tab
    finally:
        tab.context.close()


@pytest.fixture
def shot() -> Callable[[Page, str], None]:
    """Save a full-page screenshot as test-artifacts/e2e/<name>.png (git-ignored) for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    return take
