"""Shared fixtures for Herald's end-to-end tests.

These tests drive the real, already built `herald` binary as an operator and a user would:
they run its commands in throwaway directories, start `herald serve` on free loopback ports,
and talk to it over HTTP (only to 127.0.0.1). Only the standard library and pytest are used.

Processes, ports, HTTP and psql come from the one harness, scripts/harness.py.

Environment:
  HERALD_BIN                the binary (default: <repo>/.build/debug/herald)
  HERALD_TEST_POSTGRES_URL  a PostgreSQL server URL, e.g. postgres://herald@127.0.0.1:5432/herald_test
                            (trust auth; the user may CREATE DATABASE): the same variable the Swift
                            tests read. Each PostgreSQL test makes and drops its own database on that
                            server with `psql`. When unset, PostgreSQL tests FAIL, unless
                            HERALD_E2E_SQLITE_ONLY=1.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import harness  # noqa: E402
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
    return harness.herald_env(**overrides)


free_port = harness.free_port


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
_OPENER = harness.OPENER


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


class HeraldServer(harness.HeraldProcess):
    """One `herald serve` process, its port and its logs (the harness's, failing the test when it does not come up)."""

    def __init__(self, herald_bin: str, cwd: Path, env: dict[str, str], port: int,
                 args: list[str] | None = None, name: str = "herald"):
        super().__init__(herald_bin, cwd, env, port=port, args=args if args is not None else ["serve", "--port", str(port)], name=name)

    def wait_healthy(self, deadline: float | None = None) -> dict:
        """Polls GET /healthz until it answers 200, the process exits, or the deadline passes."""
        timeout = HEALTH_TIMEOUT if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            return super().wait_healthy(timeout)
        except harness.HarnessError as err:
            pytest.fail(str(err))

    def stop(self) -> int | None:
        return super().stop(timeout=STOP_TIMEOUT)


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


class SlackSandboxProcess(harness.SlackSandboxProcess):
    """`slack-sandbox serve --port P`: a Slack workspace that outlives the Herald processes a test kills."""

    def __init__(self, binary: str, cwd: Path):
        try:
            super().__init__(binary, cwd, timeout=HEALTH_TIMEOUT)
        except harness.HarnessError as err:
            pytest.fail(str(err))

    def messages(self, channel: str) -> list[dict]:
        return sandbox_messages(self.port, channel)


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
    url = os.environ.get(harness.POSTGRES_URL_VARIABLE, "").strip()
    if not url:
        if os.environ.get("HERALD_E2E_SQLITE_ONLY") == "1":
            pytest.skip("HERALD_E2E_SQLITE_ONLY=1: PostgreSQL end-to-end tests not run")
        pytest.fail(f"{harness.POSTGRES_URL_VARIABLE} is not set: the PostgreSQL end-to-end tests need a PostgreSQL "
                    "server URL such as postgres://herald@127.0.0.1:5432/herald_test (trust auth, user may "
                    "CREATE DATABASE); scripts/test.sh starts one. Set HERALD_E2E_SQLITE_ONLY=1 to run "
                    "only the SQLite tests.")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        pytest.fail(f"{harness.POSTGRES_URL_VARIABLE} must be a postgres:// URL on the loopback interface, got {url!r}")
    return url


def with_database(url: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def psql(url: str, sql: str, timeout: float = 30.0) -> str:
    """Runs one SQL command with psql (unaligned, tuples only) and returns its output."""
    try:
        return harness.psql(url, sql, timeout=timeout, psql_path=PSQL, separator="|")
    except harness.HarnessError as err:
        raise AssertionError(str(err)) from None


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
