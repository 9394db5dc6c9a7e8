"""The app under gunicorn, and a client that uses it as a browser does (P4, ``bench.throughput``)."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from workflows import demo

ROOT = Path(__file__).resolve().parent.parent
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving ``wsgi:app`` on a free local port (started and stopped by this benchmark)."""

    def __init__(self, url: str, data_dir: Path, workers: int, threads: int, log: Path):
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "DIBAO_DATA_DIR": str(data_dir), "SECRET_KEY": "bench-p4",
               "DIBAO_BIND": f"127.0.0.1:{self.port}", "DIBAO_WEB_WORKERS": str(workers),
               "DIBAO_WEB_THREADS": str(threads)}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self._log = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, our own arguments
            [str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "--access-logfile", "-", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready(log)

    def _wait_ready(self, log: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text(errors='replace')[-2000:]}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
            finally:
                conn.close()
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL if it lingers."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class Client:
    """One member of staff in a browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int, username: str, tasks: list[str]):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.username, self.tasks, self.cookies = username, list(tasks), {}
        self.token = ""

    def request(self, method: str, path: str, fields: list[tuple[str, str]] | None = None):
        """One request with the session cookie; keeps any cookie the response sets. (status, headers, body)"""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body, headers["Content-Type"] = urlencode(fields), "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()  # reopened by the next request
            raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Expires=Thu, 01 Jan 1970" not in cookie:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response.status, response.headers, data

    def login(self) -> None:
        """The login form, then a task page for the form's CSRF token (the session's token after login)."""
        _, _, page = self.request("GET", "/login")
        fields = [("username", self.username), ("password", demo.DEMO_PASSWORD),
                  ("csrf_token", _TOKEN.search(page.decode()).group(1))]
        status, _, _ = self.request("POST", "/login", fields)
        if status != 302:
            raise RuntimeError(f"login of {self.username} failed: {status}")
        status, _, page = self.request("GET", f"/tasks/{self.tasks[0]}")
        if status != 200:
            raise RuntimeError(f"task page for {self.username}: {status}")
        self.token = _TOKEN.search(page.decode()).group(1)

    def complete(self, answers: list[tuple[str, str]], follow: bool) -> tuple[int | str, float]:
        """Post ``answers`` to the next task: (status or error name, seconds the POST took); with ``follow``,
        then load the page it redirects to."""
        task_id = self.tasks.pop(0)
        t0 = time.perf_counter()
        try:
            status, headers, _ = self.request("POST", f"/tasks/{task_id}", [*answers, ("csrf_token", self.token)])
        except (http.client.HTTPException, OSError) as err:
            return type(err).__name__, time.perf_counter() - t0
        spent = time.perf_counter() - t0
        if status == 302 and follow:
            self.request("GET", headers["Location"])
        return status, spent


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and every process below it, including children it reaped.

    Read from /proc (Linux): how much of the machine a server used, whatever else was running.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        # after the name: state ppid … utime(11) stime(12) cutime(13) cstime(14)
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = sum(int(v) for v in fields[11:15]) / ticks
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        tree.add(current)
        todo += [child for child, parent in parents.items() if parent == current and child not in tree]
    return sum(used.get(p, 0.0) for p in tree)
