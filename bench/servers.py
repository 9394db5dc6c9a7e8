"""Databases for the P3/P4 benchmarks: a SQLite file, or a throwaway PostgreSQL cluster.

The cluster is made the way ``tests/pgserver.py`` makes the test cluster (initdb in a temporary
folder, Unix socket only, removed afterwards), with two differences that matter for measuring:
it lives on disk (the system's temporary folder, not /dev/shm), and it is durable unless asked
otherwise (``fsync``, ``synchronous_commit`` and ``full_page_writes`` at PostgreSQL's defaults), so
a commit costs what it costs on a server.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests import pgserver

# The test cluster's settings without the ones that trade durability for speed.
DURABLE = {k: v for k, v in pgserver.SETTINGS.items()
           if k not in ("fsync", "synchronous_commit", "full_page_writes")}
DURABLE["max_connections"] = "100"  # gunicorn workers × pool, clients, the generator


class _Cluster(pgserver.Cluster):
    """A cluster started with the settings given, not the test suite's."""

    settings: dict = DURABLE

    def start(self) -> None:
        """initdb and start, as ``pgserver.Cluster.start`` does, with ``self.settings``."""
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", pgserver.SERVER_USER, "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
        options = " ".join(f"-c {key}={value!r}" if value == "" else f"-c {key}={value}"
                           for key, value in self.settings.items())
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-s",
                  "-t", str(pgserver.TIMEOUT_S), "-o", f"-k {self.root} {options}", "start")


@contextmanager
def postgresql(name: str = "dibao_bench") -> Iterator[str]:
    """A running throwaway cluster with one empty database; yields its SQLAlchemy URL.

    Raises:
        pgserver.PostgresUnavailable: no PostgreSQL server programs, or the server would not start.
    """
    with postgresql_databases([name]) as urls:
        yield urls[0]


@contextmanager
def postgresql_databases(names: list[str]) -> Iterator[list[str]]:
    """A running throwaway cluster with these empty databases; yields their SQLAlchemy URLs."""
    root = Path(tempfile.mkdtemp(prefix="dibao-bpg-"))
    cluster = _Cluster(pgserver.find_bindir(), root)
    try:
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the folder goes to its OS user
            shutil.chown(root, user=pgserver.SERVER_USER)
        cluster.start()
        with cluster.admin() as admin:
            for name in names:
                pgserver.create_database(admin, name)
        yield [cluster.url(name) for name in names]
    finally:
        cluster.stop()


@contextmanager
def sqlite(folder: Path, name: str = "bench.sqlite3") -> Iterator[str]:
    """A SQLite file in ``folder`` (removed afterwards, with its WAL); yields its URL."""
    path = folder / name
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """``sqlite`` or ``postgresql``: an empty database for one benchmark run; yields its URL."""
    with databases(backend, folder, 1) as urls:
        yield urls[0]


@contextmanager
def databases(backend: str, folder: Path, count: int) -> Iterator[list[str]]:
    """``count`` empty databases on ``backend`` (SQLite files, or one PostgreSQL cluster); yields their URLs."""
    if backend == "postgresql":
        with postgresql_databases([f"dibao_bench_{n}" for n in range(count)]) as urls:
            yield urls
    elif backend == "sqlite":
        with ExitStack() as stack:
            yield [stack.enter_context(sqlite(folder, f"bench{n}.sqlite3")) for n in range(count)]
    else:
        raise ValueError(f"unknown backend {backend!r} (sqlite or postgresql)")
