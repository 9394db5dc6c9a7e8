"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a Unix socket, no TCP.

Each pytest process (each xdist worker) starts its own cluster on first use and removes it at the
end of the session; starting one takes about a second. The server runs with ``fsync=off`` and
friends: the data is thrown away, so durability buys nothing here.

The server programs are taken from ``$DIBAO_PG_BINDIR`` if set, else Debian's
``/usr/lib/postgresql/<N>/bin`` (newest first), else ``PATH``; PostgreSQL 13 or later. PostgreSQL
refuses to run as root, so when the tests run as root the server runs as the ``postgres`` OS user
(created by the Debian package). The cluster lives in /dev/shm when there is room (CREATE and DROP
DATABASE are about ten times faster there), else in the system's temporary folder.
"""

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

SERVER_USER = "postgres"  # the OS user the server runs as when we are root, and the database superuser
SETTINGS = {
    "listen_addresses": "",  # Unix socket only: nothing outside this machine can connect
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "96MB",  # each CREATE DATABASE … TEMPLATE writes ~8 MB of WAL: keep the folder small
    "max_connections": "60",
    # Not UTC, as on a server in China: naive/aware datetime mistakes show up as 8-hour shifts.
    "timezone": "Asia/Shanghai",
}
TIMEOUT_S = 60
# A memory file system makes CREATE/DROP DATABASE ~10× faster than a disk mounted with `discard`.
MEMORY_FS = Path("/dev/shm")
MEMORY_FS_NEEDED = 1 << 30  # bytes free on it, for two or three clusters side by side
_SAFE_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server could not be found or started."""


def _candidate_bindirs() -> list[Path]:
    if os.environ.get("DIBAO_PG_BINDIR"):
        return [Path(os.environ["DIBAO_PG_BINDIR"])]  # an explicit choice: nothing else is tried
    found = []
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        found += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    on_path = shutil.which("initdb")
    if on_path:
        found.append(Path(on_path).parent)
    return found


def find_bindir() -> Path:
    """The folder holding the server programs.

    Returns:
        The first folder with both ``initdb`` and ``pg_ctl``.

    Raises:
        PostgresUnavailable: No PostgreSQL server binaries on this machine.
    """
    for bindir in _candidate_bindirs():
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server programs (initdb, pg_ctl) not found in $DIBAO_PG_BINDIR, /usr/lib/postgresql/*/bin "
        "or PATH. Install them (`make testdeps` installs Debian's `postgresql`) or set DIBAO_PG_BINDIR; "
        "DIBAO_SKIP_PG=1 skips the PostgreSQL tests instead"
    )


def _check_name(name: str) -> str:
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


@dataclass
class Cluster:
    """A running throwaway cluster; ``url(db)`` gives the SQLAlchemy URL of one of its databases."""

    bindir: Path
    root: Path  # temporary folder: data/, the socket and the server log

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.root / "data"

    @property
    def log(self) -> Path:
        """The server log."""
        return self.root / "server.log"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL (psycopg 3 driver, Unix socket) of ``database``."""
        return f"postgresql+psycopg://{SERVER_USER}@/{database}?host={self.root}"

    def _run(self, *args: str) -> None:
        command = [*_as_server_user(), *args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)  # noqa: S603
        except (OSError, subprocess.SubprocessError) as err:
            raise PostgresUnavailable(f"{' '.join(command)} failed: {err}") from err
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{log}")

    def start(self) -> None:
        """Create the cluster and start the server (waits until it accepts connections)."""
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", SERVER_USER, "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
        options = " ".join(f"-c {key}={value!r}" if value == "" else f"-c {key}={value}"
                           for key, value in SETTINGS.items())
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-s",
                  "-t", str(TIMEOUT_S), "-o", f"-k {self.root} {options}", "start")

    def stop(self) -> None:
        """Stop the server at once (the data is thrown away) and remove the folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-s", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def admin(self) -> psycopg.Connection:
        """An autocommit connection to the maintenance database (CREATE/DROP DATABASE)."""
        return psycopg.connect(dbname="postgres", user=SERVER_USER, host=str(self.root), autocommit=True)


def _scratch_parent() -> str | None:
    """/dev/shm when it is there with room to spare, else None (the system's temporary folder)."""
    try:
        stat = os.statvfs(MEMORY_FS)
    except OSError:
        return None
    roomy = stat.f_bavail * stat.f_frsize >= MEMORY_FS_NEEDED
    return str(MEMORY_FS) if roomy and os.access(MEMORY_FS, os.W_OK | os.X_OK) else None


def _give_to_server_user(folder: Path) -> None:
    try:
        shutil.chown(folder, user=SERVER_USER)
    except LookupError as err:
        raise PostgresUnavailable(
            f"running as root, but there is no {SERVER_USER!r} OS user to run the server as (PostgreSQL "
            "refuses root); Debian's `postgresql` package creates it"
        ) from err


def _as_server_user() -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []


def start_cluster() -> Cluster:
    """Start a new throwaway cluster in a fresh temporary folder.

    Returns:
        The running cluster; call ``stop()`` when done.

    Raises:
        PostgresUnavailable: The binaries are missing or the server would not start.
    """
    bindir = find_bindir()
    # A short path (socket paths are limited to ~100 bytes), owned by the server's user.
    root = Path(tempfile.mkdtemp(prefix="dibao-pg-", dir=_scratch_parent()))
    cluster = Cluster(bindir, root)
    try:
        if os.geteuid() == 0:
            _give_to_server_user(root)
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def create_database(admin: psycopg.Connection, name: str, template: str | None = None) -> None:
    """CREATE DATABASE ``name``, optionally as a copy of ``template`` (which nobody may be connected to)."""
    sql = f"CREATE DATABASE {_check_name(name)}"
    if template:
        sql += f" TEMPLATE {_check_name(template)}"  # PostgreSQL 15+: WAL_LOG copy, ~25 ms here
    admin.execute(sql)


def drop_database(admin: psycopg.Connection, name: str) -> None:
    """DROP DATABASE ``name``, ending any session still connected to it."""
    admin.execute(f"DROP DATABASE IF EXISTS {_check_name(name)} WITH (FORCE)")
