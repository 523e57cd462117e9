"""End-to-end tests of Herald's command line on SQLite (SPEC §10): configuration errors, `users
create`, the SQLite key file, `migrate`, and `serve --hostname/--port`.

Each test works in its own temporary directory, the way an operator would run the binary there.
"""

from __future__ import annotations

import sqlite3
import stat

from conftest import expected_migration_count, free_port, herald_env, http, port_is_listening, run_herald

MIGRATION_COUNT = expected_migration_count()


def _migration_names(db_path) -> list[str]:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return [row[0] for row in con.execute("SELECT name FROM _fluent_migrations")]
    finally:
        con.close()


def test_bad_configuration_lists_every_problem_at_once_and_hides_the_password(herald_bin, tmp_path):
    env = herald_env(
        HERALD_DATABASE_URL="postgres://u:pw@127.0.0.1:1/db",
        HERALD_CHANNEL_RATE="abc",
        HERALD_ADMIN_EMAIL="x@example.com",
    )
    result = run_herald(herald_bin, ["serve", "--port", str(free_port())], tmp_path, env)
    stderr = result.stderr.decode("utf-8", "replace")
    stdout = result.stdout.decode("utf-8", "replace")

    assert result.returncode == 2, f"exit {result.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    for variable in ("HERALD_SECRET_KEY", "HERALD_CHANNEL_RATE", "HERALD_ADMIN_TOKEN"):
        assert variable in stderr, f"{variable} not named in:\n{stderr}"
    # One message: a single header announcing all the problems, not one failure per variable.
    assert stderr.count("Herald cannot start") == 1, stderr
    assert "3 configuration problems" in stderr, stderr
    # The database password is never printed, on either stream.
    assert "pw" not in stderr, stderr
    assert "pw" not in stdout, stdout
    # Nothing was started or created.
    assert not (tmp_path / "herald.sqlite").exists()


def test_users_create_prints_only_the_token_and_the_server_accepts_it(herald_bin, tmp_path, start_server):
    env = herald_env()
    result = run_herald(herald_bin, ["users", "create", "--email", "Ops@Example.com", "--org", "Acme"], tmp_path, env)
    stdout = result.stdout.decode("utf-8")
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr}"

    # Exactly one line on standard output: the token, ready for `TOKEN=$(herald users create ...)`.
    lines = stdout.splitlines()
    assert len(lines) == 1, f"expected one line on stdout, got {lines!r}"
    assert stdout.endswith("\n") and stdout.count("\n") == 1, repr(stdout)
    token = lines[0]
    assert token.startswith("hrd_pat_"), repr(token)
    assert token == token.strip() and len(token) > len("hrd_pat_") + 16, repr(token)
    # Informational text goes to standard error, and the token is not repeated there.
    assert "ops@example.com" in stderr, stderr
    assert "Acme" in stderr, stderr
    assert token not in stderr

    db = tmp_path / "herald.sqlite"
    key = tmp_path / "herald.sqlite.key"
    assert db.is_file()
    assert key.is_file(), sorted(p.name for p in tmp_path.iterdir())
    assert stat.S_IMODE(key.stat().st_mode) == 0o600, oct(key.stat().st_mode)
    key_bytes = key.read_bytes()
    assert key_bytes.strip(), "key file is empty"

    # Only a hash of the token is stored: its text is in no database file (main, WAL, shared memory).
    token_bytes = token.encode("utf-8")
    secret_part = token_bytes[len("hrd_pat_"):]
    db_files = [p for p in tmp_path.iterdir() if p.name.startswith("herald.sqlite") and p != key]
    assert db in db_files
    for path in db_files:
        content = path.read_bytes()
        assert token_bytes not in content, f"token found in {path.name}"
        assert secret_part not in content, f"token's secret part found in {path.name}"

    # Serve from the same directory: the token works and the user owns Acme.
    server = start_server(tmp_path, env, name="serve1")
    server.wait_healthy()
    resp = http("GET", server.port, "/api/v1/orgs", token=token)
    assert resp.status == 200, resp
    orgs = resp.json()
    assert isinstance(orgs, list)
    assert [(o["name"], o["role"]) for o in orgs] == [("Acme", "owner")], orgs
    me = http("GET", server.port, "/api/v1/me", token=token)
    assert me.status == 200, me
    assert me.json()["email"] == "ops@example.com", me
    # A wrong token is refused.
    assert http("GET", server.port, "/api/v1/orgs", token=token + "x").status == 401
    assert server.stop() is not None
    assert key.read_bytes() == key_bytes, "serve rewrote the key file"

    # A restart reuses the same key file, unchanged, and the token still works.
    server2 = start_server(tmp_path, env, name="serve2")
    server2.wait_healthy()
    resp = http("GET", server2.port, "/api/v1/orgs", token=token)
    assert resp.status == 200, resp
    assert [(o["name"], o["role"]) for o in resp.json()] == [("Acme", "owner")]
    server2.stop()
    assert key.read_bytes() == key_bytes, "a restart replaced the key file"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".key")) == ["herald.sqlite.key"]


def test_migrate_creates_the_database_and_is_idempotent(herald_bin, tmp_path):
    env = herald_env()
    db = tmp_path / "herald.sqlite"
    assert not db.exists()

    first = run_herald(herald_bin, ["migrate"], tmp_path, env)
    assert first.returncode == 0, first.stderr.decode("utf-8", "replace")
    assert db.is_file() and db.stat().st_size > 0
    names = _migration_names(db)
    assert len(names) == MIGRATION_COUNT and len(set(names)) == MIGRATION_COUNT, names

    second = run_herald(herald_bin, ["migrate"], tmp_path, env)
    assert second.returncode == 0, second.stderr.decode("utf-8", "replace")
    assert sorted(_migration_names(db)) == sorted(names), "a second migrate changed the applied migrations"


def test_serve_honours_hostname_and_port_flags(herald_bin, tmp_path, start_server):
    port = free_port()
    env_port = free_port()
    for _ in range(10):
        if env_port != port:
            break
        env_port = free_port()
    assert env_port != port
    # The flags win over HERALD_HOSTNAME / HERALD_PORT.
    env = herald_env(HERALD_HOSTNAME="localhost", HERALD_PORT=str(env_port))
    server = start_server(tmp_path, env, port=port, args=["serve", "--hostname", "127.0.0.1", "--port", str(port)])
    health = server.wait_healthy()
    assert health == {"status": "ok", "database": "ok"}, health
    resp = http("GET", port, "/healthz")
    assert resp.status == 200
    assert resp.json() == {"status": "ok", "database": "ok"}
    assert not port_is_listening(env_port), "HERALD_PORT was used although --port was given"
    assert f"127.0.0.1:{port}" in server.logs(limit=20000), server.logs()


def test_users_set_a_web_password_from_standard_input(herald_bin, tmp_path):
    """`users create --password-stdin` and `users set-password` read the password from standard input,
    check it before anything changes, and store only a Bcrypt hash."""
    import subprocess

    env = herald_env()

    def herald(args: list[str], password: str) -> subprocess.CompletedProcess:
        return subprocess.run([herald_bin, *args], cwd=tmp_path, env=env, input=password.encode(), capture_output=True, timeout=120)

    short = herald(["users", "create", "--email", "pw@example.com", "--org", "Acme", "--password-stdin"], "short\n")
    assert short.returncode != 0 and b"at least 10 characters" in short.stderr, short.stderr
    db = sqlite3.connect(tmp_path / "herald.sqlite")
    assert db.execute("SELECT COUNT(*) FROM users WHERE email = 'pw@example.com'").fetchone() == (0,), "a refused password created the user"

    created = herald(["users", "create", "--email", "pw@example.com", "--org", "Acme", "--password-stdin"], "correct horse battery\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.decode().startswith("hrd_pat_") and b"Web password set" in created.stderr
    first = db.execute("SELECT p.password_hash FROM user_passwords p JOIN users u ON u.id = p.user_id WHERE u.email = 'pw@example.com'").fetchone()
    assert first and first[0].startswith("$2") and "correct horse" not in first[0]

    unknown = herald(["users", "set-password", "--email", "nobody@example.com"], "another long passphrase")
    assert unknown.returncode != 0 and b"no user has the email" in unknown.stderr
    changed = herald(["users", "set-password", "--email", "PW@example.com"], "another long passphrase\n")
    assert changed.returncode == 0, changed.stderr
    second = db.execute("SELECT p.password_hash FROM user_passwords p JOIN users u ON u.id = p.user_id WHERE u.email = 'pw@example.com'").fetchone()
    assert second and second[0] != first[0] and second[0].startswith("$2")
