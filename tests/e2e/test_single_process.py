"""One process per SQLite file (SPEC §10), and links that follow the address served.

A second `serve` or `worker` on the SQLite file another Herald process is using exits with status 2
and one line saying why and what to do, whatever path it names the file by; the first goes on
serving. (Two delivery loops on one file would hand each other's sends in flight back to the queue
and post them twice.)
"""

from __future__ import annotations

import os

from conftest import free_port, herald_env, http, run_herald, sandbox_messages, wait_for_banner, wait_until


def _refused(result) -> str:
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, f"exit {result.returncode}\nstderr:\n{stderr}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    return lines[0]


def test_a_second_serve_or_worker_on_one_sqlite_file_exits_2_and_says_why(herald_bin, tmp_path, start_server):
    env = herald_env()
    port = free_port()
    first = start_server(tmp_path, env, port=port)
    first.wait_healthy()
    pid = first.proc.pid
    os.symlink(tmp_path / "herald.sqlite", tmp_path / "alias.sqlite")
    for args, extra in [
        (["serve", "--port", str(free_port())], {}),
        (["worker"], {}),
        (["serve", "--port", str(free_port())], {"HERALD_DATABASE_URL": f"sqlite://{tmp_path / 'alias.sqlite'}"}),
        (["worker"], {"HERALD_DATABASE_URL": f"sqlite://{tmp_path}/./herald.sqlite"}),
    ]:
        line = _refused(run_herald(herald_bin, args, tmp_path, herald_env(**extra), timeout=60))
        assert f"(pid {pid})" in line, line
        assert "already running on the SQLite database" in line, line
        assert "PostgreSQL" in line, line
    # The first is untouched, and once it stops the file is free again.
    assert http("GET", port, "/healthz").status == 200
    assert first.stop() == 0
    second = start_server(tmp_path, env, port=free_port(), name="herald-after")
    second.wait_healthy()


def test_links_in_messages_follow_the_port_served(tmp_path, start_server):
    port = free_port()
    server = start_server(tmp_path, herald_env(HERALD_CHANNEL_RATE="0"), port=port, args=["serve", "--sandbox", "--port", str(port)])
    banner = wait_for_banner(server)
    resp = http("POST", port, "/api/v1/events", token=banner.event_key,
                body={"type": "incident", "action": "trigger", "key": "link-1", "title": "Where is my link"})
    assert resp.status == 202, resp
    incident_id = resp.json()["incidentId"]
    messages = wait_until(lambda: [m for m in sandbox_messages(port, "#alerts") if "Where is my link" in m["text"]], 30,
                          "the incident's message", on_timeout=server.logs)
    blob = str(messages[0].get("attachments"))
    assert f"http://127.0.0.1:{port}/incidents/{incident_id}?at=" in blob, blob[:2000]
    assert "127.0.0.1:8080" not in blob
