"""End-to-end tests of Herald on PostgreSQL with several processes (SPEC §10): three `herald serve`
processes started together on one fresh database migrate it once, create the first owner once,
and share their data; secrets are only stored hashed; a PostgreSQL URL needs HERALD_SECRET_KEY.

Needs HERALD_TEST_PG_URL (see conftest.py); fails without it unless HERALD_E2E_SQLITE_ONLY=1.
"""

from __future__ import annotations

import base64
import json
import secrets
import time

from conftest import HEALTH_TIMEOUT, expected_migration_count, free_port, herald_env, http, run_herald

MIGRATION_COUNT = expected_migration_count()
ADMIN_EMAIL = "root@example.com"


def _pg_env(database_url: str, admin_token: str, secret_key: str | None) -> dict[str, str]:
    return herald_env(
        HERALD_DATABASE_URL=database_url,
        HERALD_SECRET_KEY=secret_key,
        HERALD_ADMIN_EMAIL=ADMIN_EMAIL,
        HERALD_ADMIN_TOKEN=admin_token,
    )


def test_three_serve_processes_share_one_database(pg_database, start_server, tmp_path):
    secret_key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    admin_token = secrets.token_hex(32)
    assert len(admin_token) == 64
    env = _pg_env(pg_database.url, admin_token, secret_key)

    # Three processes at the same moment, each in its own fresh directory and on its own port.
    dirs = []
    for i in range(3):
        d = tmp_path / f"p{i + 1}"
        d.mkdir()
        dirs.append(d)
    servers = [start_server(d, env, name=f"serve{i + 1}") for i, d in enumerate(dirs)]
    assert len({s.port for s in servers}) == 3
    deadline = time.monotonic() + HEALTH_TIMEOUT
    for server in servers:
        assert server.wait_healthy(deadline) == {"status": "ok", "database": "ok"}

    # Migrated exactly once, first owner created exactly once.
    names = pg_database.query("SELECT name FROM _fluent_migrations")
    assert len(names) == MIGRATION_COUNT, names
    assert len(set(names)) == MIGRATION_COUNT, names
    assert pg_database.query("SELECT count(*) FROM users") == ["1"]
    assert pg_database.query("SELECT email FROM users") == [ADMIN_EMAIL]
    assert pg_database.query("SELECT count(*) FROM api_tokens") == ["1"]
    token_rows = pg_database.query("SELECT row_to_json(t)::text FROM api_tokens t")
    assert admin_token not in token_rows[0], "the admin token is stored in clear"
    # No process left startup half-done.
    for server in servers:
        assert server.proc.poll() is None, server.logs()

    # The admin token works on every process.
    for server in servers:
        me = http("GET", server.port, "/api/v1/me", token=admin_token)
        assert me.status == 200, (server.name, me)
        assert me.json()["email"] == ADMIN_EMAIL, me

    # An organization created through process 1 is visible through 2 and 3.
    p1, p2, p3 = servers
    created = http("POST", p1.port, "/api/v1/orgs", token=admin_token, body={"name": "Acme"})
    assert created.status == 201, created
    org = created.json()
    assert org["name"] == "Acme" and org["id"], org
    for server in (p2, p3):
        listed = http("GET", server.port, "/api/v1/orgs", token=admin_token)
        assert listed.status == 200, listed
        assert [(o["id"], o["name"]) for o in listed.json()] == [(org["id"], "Acme")], (server.name, listed)

    # A project and an event key through process 3: the key is shown once and stored only hashed.
    project = http("POST", p3.port, f"/api/v1/orgs/{org['id']}/projects", token=admin_token, body={"name": "Web"})
    assert project.status == 201, project
    project_id = project.json()["id"]
    assert project_id
    created_key = http("POST", p3.port, f"/api/v1/projects/{project_id}/keys", token=admin_token)
    assert created_key.status == 201, created_key
    key = created_key.json().get("key")
    assert isinstance(key, str) and key.startswith("hrd_ek_"), created_key
    secret_part = key[len("hrd_ek_"):]

    rows = pg_database.query("SELECT row_to_json(k)::text FROM event_keys k")
    assert len(rows) == 1, rows
    for column, value in json.loads(rows[0]).items():
        text = "" if value is None else str(value)
        assert key not in text, f"event key stored in clear in event_keys.{column}"
        assert secret_part not in text, f"event key's secret stored in event_keys.{column}"
    # Also the plain text of `SELECT *` (every column as psql prints it).
    plain = "\n".join(pg_database.query("SELECT * FROM event_keys"))
    assert plain and key not in plain and secret_part not in plain

    # Shown once: listing the keys (from another process) never shows it again.
    listed_keys = http("GET", p1.port, f"/api/v1/projects/{project_id}/keys", token=admin_token)
    assert listed_keys.status == 200, listed_keys
    assert len(listed_keys.json()) == 1, listed_keys
    assert key.encode() not in listed_keys.body and secret_part.encode() not in listed_keys.body

    # Terminate the processes before the database is dropped (the fixture drops it).
    for server in servers:
        server.stop()


def test_postgres_without_secret_key_refuses_to_start(herald_bin, pg_database, tmp_path):
    env = _pg_env(pg_database.url, secrets.token_hex(32), None)
    result = run_herald(herald_bin, ["serve", "--port", str(free_port())], tmp_path, env)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, f"exit {result.returncode}\n{stderr}"
    assert "HERALD_SECRET_KEY" in stderr, stderr
    # It refused before touching the database.
    assert pg_database.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == ["0"]
