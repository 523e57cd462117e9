"""Shared fixtures for Herald's end-to-end tests.

These tests drive the real, already built `herald` binary as an operator and a user would:
they run its commands in throwaway directories, start `herald serve` on free loopback ports,
and talk to it over HTTP (only to 127.0.0.1). Only the standard library and pytest are used.

Environment:
  HERALD_BIN              the binary (default: <repo>/.build/debug/herald)
  HERALD_TEST_PG_URL      a PostgreSQL server URL, e.g. postgres://herald@127.0.0.1:5432/herald_test
                          (trust auth; the user may CREATE DATABASE). Each PostgreSQL test makes and
                          drops its own database on that server with `psql`. When unset, PostgreSQL
                          tests FAIL, unless HERALD_E2E_SQLITE_ONLY=1.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT = 30.0  # seconds a server gets to answer /healthz
COMMAND_TIMEOUT = 60.0  # seconds a one-shot command (migrate, users create, bad config) gets
STOP_TIMEOUT = 10.0  # seconds a server gets to exit after SIGTERM before SIGKILL
PSQL = "psql"


# --- binary & environment ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def herald_bin() -> str:
    path = Path(os.environ.get("HERALD_BIN") or REPO / ".build" / "debug" / "herald")
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"herald binary not found or not executable at {path} (build it, or set HERALD_BIN)")
    return str(path)


def herald_env(**overrides: str | None) -> dict[str, str]:
    """The caller's environment without any HERALD_* variable (so nothing leaks in), plus overrides.

    An override of None removes the variable.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def run_herald(herald_bin: str, args: list[str], cwd: Path, env: dict[str, str],
               timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
    """Runs a one-shot herald command; stdout and stderr are captured as bytes."""
    return subprocess.run([herald_bin, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)


# --- HTTP --------------------------------------------------------------------------------------

# No proxies: every request goes straight to 127.0.0.1, whatever http_proxy says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.body[:500]!r}>"


def http(method: str, port: int, path: str, token: str | None = None, body=None,
         timeout: float = 10.0) -> Response:
    url = f"http://127.0.0.1:{port}{path}"
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return Response(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, err.headers, err.read())


# --- servers -----------------------------------------------------------------------------------


class HeraldServer:
    """One `herald serve` process, its port and its logs."""

    def __init__(self, herald_bin: str, cwd: Path, env: dict[str, str], port: int,
                 args: list[str] | None = None, name: str = "herald"):
        self.cwd = cwd
        self.port = port
        self.name = name
        self.args = args if args is not None else ["serve", "--port", str(port)]
        self.stdout_path = cwd / f"{name}.{port}.stdout.log"
        self.stderr_path = cwd / f"{name}.{port}.stderr.log"
        self._stdout = open(self.stdout_path, "wb")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([herald_bin, *self.args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._stdout, stderr=self._stderr)

    def logs(self, limit: int = 4000) -> str:
        out = []
        for label, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            try:
                text = path.read_bytes().decode("utf-8", "replace")
            except OSError:
                text = ""
            out.append(f"--- {self.name} {label} (last {limit} chars) ---\n{text[-limit:]}")
        return "\n".join(out)

    def wait_healthy(self, deadline: float | None = None) -> dict:
        """Polls GET /healthz until it answers 200, the process exits, or the deadline passes."""
        if deadline is None:
            deadline = time.monotonic() + HEALTH_TIMEOUT
        last = "no answer yet"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                pytest.fail(f"{self.name} exited with code {code} before becoming healthy\n{self.logs()}")
            try:
                resp = http("GET", self.port, "/healthz", timeout=2.0)
                if resp.status == 200:
                    return resp.json()
                last = repr(resp)
            except (OSError, urllib.error.URLError) as err:
                last = repr(err)
            time.sleep(0.2)
        pytest.fail(f"{self.name} on port {self.port} not healthy within {HEALTH_TIMEOUT:.0f} s "
                    f"(last: {last})\n{self.logs()}")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        for f in (self._stdout, self._stderr):
            if not f.closed:
                f.close()
        return self.proc.returncode


@pytest.fixture
def start_server(herald_bin):
    """Factory: start_server(cwd, env, port=None, args=None, name=...) -> HeraldServer (not yet waited on).

    Every server started here is stopped (SIGTERM, then SIGKILL) when the test ends.
    """
    servers: list[HeraldServer] = []

    def start(cwd: Path, env: dict[str, str], port: int | None = None, args: list[str] | None = None,
              name: str = "herald") -> HeraldServer:
        server = HeraldServer(herald_bin, cwd, env, port if port is not None else free_port(), args, name)
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


# --- the Slack sandbox in a process of its own ----------------------------------------------------


@pytest.fixture(scope="session")
def slack_sandbox_bin(herald_bin) -> str:
    """The `slack-sandbox` executable built beside `herald` (or SLACK_SANDBOX_BIN)."""
    path = Path(os.environ.get("SLACK_SANDBOX_BIN") or Path(herald_bin).with_name("slack-sandbox"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"slack-sandbox binary not found or not executable at {path} (swift build builds it)")
    return str(path)


class SlackSandboxProcess:
    """`slack-sandbox serve --port P`: a Slack workspace that outlives the Herald processes a test kills."""

    def __init__(self, binary: str, cwd: Path):
        self.port = free_port()
        self.stderr_path = cwd / f"slack-sandbox.{self.port}.log"
        self._log = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([binary, "serve", "--port", str(self.port)], cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, env=herald_env())
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"slack-sandbox exited with {self.proc.returncode}\n{self.logs()}")
            try:
                if http("GET", self.port, "/sandbox", timeout=2.0).status == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        pytest.fail(f"slack-sandbox did not answer within {HEALTH_TIMEOUT:.0f} s\n{self.logs()}")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sandbox/api"

    def bot_token(self) -> str:
        resp = http("POST", self.port, "/sandbox/control/bot-tokens", body={})
        assert resp.status == 201, resp
        return resp.json()["token"]

    def messages(self, channel: str) -> list[dict]:
        return sandbox_messages(self.port, channel)

    def logs(self) -> str:
        try:
            return self.stderr_path.read_bytes().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        if not self._log.closed:
            self._log.close()


@pytest.fixture
def slack_sandbox(slack_sandbox_bin, tmp_path):
    sandbox = SlackSandboxProcess(slack_sandbox_bin, tmp_path)
    yield sandbox
    sandbox.stop()


ADMIN_TOKEN = "e2e-admin-token-" + "0123456789abcdef" * 2


def slack_project(port: int, bot_token: str, channels: str = "#alerts") -> tuple[str, str]:
    """On a server started with HERALD_ADMIN_EMAIL/HERALD_ADMIN_TOKEN=ADMIN_TOKEN: an organization, a
    project with Slack enabled on `bot_token` and `channels`, and an event key. Returns (project id, event key)."""
    org = http("POST", port, "/api/v1/orgs", token=ADMIN_TOKEN, body={"name": "E2E"})
    assert org.status == 201, org
    project = http("POST", port, f"/api/v1/orgs/{org.json()['id']}/projects", token=ADMIN_TOKEN, body={"name": "E2E project"})
    assert project.status == 201, project
    project_id = project.json()["id"]
    settings = http("PUT", port, f"/api/v1/projects/{project_id}/settings/slack", token=ADMIN_TOKEN,
                    body={"enabled": True, "token": bot_token, "channels": channels})
    assert settings.status == 200, settings
    key = http("POST", port, f"/api/v1/projects/{project_id}/keys", token=ADMIN_TOKEN, body={"name": "e2e"})
    assert key.status == 201, key
    return project_id, key.json()["key"]


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("HERALD_TEST_PG_URL", "").strip()
    if not url:
        if os.environ.get("HERALD_E2E_SQLITE_ONLY") == "1":
            pytest.skip("HERALD_E2E_SQLITE_ONLY=1: PostgreSQL end-to-end tests not run")
        pytest.fail("HERALD_TEST_PG_URL is not set: the PostgreSQL end-to-end tests need a PostgreSQL "
                    "server URL such as postgres://herald@127.0.0.1:5432/herald_test (trust auth, user may "
                    "CREATE DATABASE); scripts/test.sh starts one. Set HERALD_E2E_SQLITE_ONLY=1 to run "
                    "only the SQLite tests.")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        pytest.fail(f"HERALD_TEST_PG_URL must be a postgres:// URL on the loopback interface, got {url!r}")
    return url


def with_database(url: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def psql(url: str, sql: str, timeout: float = 30.0) -> str:
    """Runs one SQL command with psql (unaligned, tuples only) and returns its output."""
    result = subprocess.run([PSQL, url, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    if result.returncode != 0:
        raise AssertionError(f"psql failed ({result.returncode}) for {sql!r}:\n{result.stderr}")
    return result.stdout


def psql_lines(url: str, sql: str) -> list[str]:
    return [line for line in psql(url, sql).splitlines() if line != ""]


class PGDatabase:
    def __init__(self, server_url: str, name: str):
        self.server_url = server_url
        self.name = name
        self.url = with_database(server_url, name)

    def query(self, sql: str) -> list[str]:
        return psql_lines(self.url, sql)


@pytest.fixture
def pg_database(pg_server_url):
    """A fresh, empty database with a unique name on the test server; dropped afterwards.

    Request it before start_server so that servers are stopped before the database is dropped.
    """
    name = f"herald_e2e_{uuid.uuid4().hex[:16]}"
    psql(pg_server_url, f'CREATE DATABASE "{name}"')
    db = PGDatabase(pg_server_url, name)
    yield db
    # FORCE terminates leftover sessions (PostgreSQL 13+) should a process still hold one.
    psql(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- `herald serve --sandbox` --------------------------------------------------------------------

BANNER_TIMEOUT = 30.0  # seconds a `serve --sandbox` gets to print its banner after /healthz answers


class SandboxBanner:
    """What `herald serve --sandbox` printed: the demo's API token, event key and project id."""

    def __init__(self, text: str):
        self.text = text
        self.api_token = re.search(r"^\s*API token:\s+(\S+)\s*$", text, re.M).group(1)
        self.event_key = re.search(r"^\s*Event key:\s+(\S+)\s*$", text, re.M).group(1)
        self.project_id = re.search(r"/api/v1/projects/([^/\s]+)/settings/slack/test", text).group(1)


def wait_for_banner(server: HeraldServer, timeout: float = BANNER_TIMEOUT) -> SandboxBanner:
    """Waits (bounded) until `server`'s stdout holds a complete sandbox banner and parses it."""
    server.wait_healthy()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = server.stdout_path.read_bytes().decode("utf-8", "replace")
        if (re.search(r"^\s*curl .*/settings/slack/test\s*$", text, re.M)
                and re.search(r"^\s*Event key:\s+\S+", text, re.M) and re.search(r"^\s*API token:\s+\S+", text, re.M)):
            return SandboxBanner(text)
        if server.proc.poll() is not None:
            pytest.fail(f"{server.name} exited with {server.proc.returncode} before its banner\n{server.logs()}")
        time.sleep(0.2)
    pytest.fail(f"no sandbox banner within {timeout:.0f} s\n{server.logs()}")


def sandbox_messages(port: int, channel: str) -> list[dict]:
    """The messages of a sandbox channel (id, `#name` or `name`), oldest first, via the control API."""
    resp = http("GET", port, f"/sandbox/control/channels/{urllib.parse.quote(channel, safe='')}/messages")
    assert resp.status == 200, resp
    return resp.json()["messages"]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2, on_timeout=None):
    """Polls `predicate()` until it returns something truthy (returned) or `timeout` seconds pass (fail)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    extra = on_timeout() if on_timeout else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})\n{extra}")


def expected_migration_count():
    """How many migrations Herald registers: every `migrations.add(` in Migrations.swift."""
    source = REPO / "Sources" / "HeraldServer" / "Migrations" / "Migrations.swift"
    return source.read_text().count("migrations.add(")
