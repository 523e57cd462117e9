"""Scale-out on PostgreSQL (SPEC §5, §10): several processes share the outbox with no duplicate
deliveries, and the per-channel pacing holds across all of them.

One `herald serve --sandbox` process hosts the API and the Slack sandbox (it also runs delivery
workers of its own: `serve` always does, so it counts as one of the workers), and two `herald worker`
processes run on the same fresh database with the same `HERALD_SECRET_KEY` and
`HERALD_SLACK_API_URL` pointing at that sandbox. All three pace at `HERALD_CHANNEL_RATE=10`.
The demo project is set to post to 40 sandbox channels, and 60 notifications are sent concurrently
(2,400 deliveries). Then:

- every delivery is `sent`, after one attempt, and each channel shows each notification once;
- more than one process claimed deliveries (`deliveries.claimed_by`);
- no channel received two messages less than 1/rate apart (the sandbox's `receivedAt`).

Needs HERALD_TEST_PG_URL (see conftest.py); fails without it unless HERALD_E2E_SQLITE_ONLY=1.
"""

from __future__ import annotations

import base64
import collections
import secrets
import threading
import time
import urllib.error

import pytest

from conftest import free_port, herald_env, http, sandbox_messages, wait_for_banner, wait_until

CHANNELS = 40
EVENTS = 60
RATE = 10.0  # messages per second per channel, in every process
MIN_GAP = 1.0 / RATE - 0.005  # seconds between two messages of one channel, with 5 ms for clock reads
SENDERS = 8
WORKER_START_TIMEOUT = 30.0
# 60 messages per channel at 10/s take at least 6 s; allow generously for a slow CI machine.
DRAIN_TIMEOUT = 240.0


def _wait_worker_started(worker) -> None:
    def started():
        if worker.proc.poll() is not None:
            pytest.fail(f"{worker.name} exited with {worker.proc.returncode}\n{worker.logs()}")
        text = (worker.stdout_path.read_bytes() + worker.stderr_path.read_bytes()).decode("utf-8", "replace")
        return "delivery worker started" in text

    wait_until(started, WORKER_START_TIMEOUT, f"{worker.name} to start", on_timeout=worker.logs)


def _errors(*processes) -> str:
    """The warning and error lines of the processes' logs (to explain a failure)."""
    lines = []
    for p in processes:
        for path in (p.stdout_path, p.stderr_path):
            text = path.read_bytes().decode("utf-8", "replace")
            lines += [f"{p.name}: {line}" for line in text.splitlines() if " warning " in line or " error " in line]
    return "\n".join(lines[:40])


def test_serve_and_two_workers_share_the_outbox_and_the_pacing(pg_database, start_server, tmp_path):
    secret_key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    port = free_port()
    common = dict(HERALD_DATABASE_URL=pg_database.url, HERALD_SECRET_KEY=secret_key,
                  HERALD_CHANNEL_RATE=str(RATE))

    serve_dir = tmp_path / "serve"
    serve_dir.mkdir()
    serve = start_server(serve_dir, herald_env(**common), port=port,
                         args=["serve", "--sandbox", "--port", str(port)], name="serve")
    banner = wait_for_banner(serve)

    worker_env = herald_env(**common, HERALD_SLACK_API_URL=f"http://127.0.0.1:{port}/sandbox/api")
    workers = []
    for i in (1, 2):
        d = tmp_path / f"worker{i}"
        d.mkdir()
        workers.append(start_server(d, worker_env, args=["worker"], name=f"worker{i}"))
    for worker in workers:
        _wait_worker_started(worker)

    # 40 channels in the sandbox, all targets of the demo project.
    names = [f"load-{i:02d}" for i in range(1, CHANNELS + 1)]
    channel_ids = {}
    for name in names:
        resp = http("POST", port, "/sandbox/control/channels", body={"name": name})
        assert resp.status == 201, resp
        channel_ids[name] = resp.json()["id"]
    resp = http("PUT", port, f"/api/v1/projects/{banner.project_id}/settings/slack", token=banner.api_token,
                body={"channels": ["#" + n for n in names]})
    assert resp.status == 200, resp
    assert resp.json()["effective"]["channels"] == ["#" + n for n in names], resp

    # 60 notifications, sent concurrently: 2,400 deliveries.
    titles = [f"w-{i}" for i in range(EVENTS)]
    lock = threading.Lock()
    todo = list(titles)
    answers: dict[str, object] = {}

    def sender():
        while True:
            with lock:
                if not todo:
                    return
                title = todo.pop()
            try:
                resp = http("POST", port, "/api/v1/events", token=banner.event_key,
                            body={"type": "notification", "title": title}, timeout=30)
                answer = resp.status if resp.status == 202 else resp
            except (OSError, urllib.error.URLError) as err:
                answer = repr(err)
            with lock:
                answers[title] = answer

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(SENDERS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "an event sender did not finish"
    assert answers == {t: 202 for t in titles}, {t: a for t, a in answers.items() if a != 202}

    total = CHANNELS * EVENTS

    def drained():
        counts = dict(row.split("|") for row in pg_database.query("SELECT state, count(*) FROM deliveries GROUP BY state"))
        return counts if counts.get("sent") == str(total) and len(counts) == 1 else False

    def diagnostics():
        logs = "\n".join(p.logs(2000) for p in (serve, *workers))
        return f"{pg_database.query('SELECT state, count(*) FROM deliveries GROUP BY state')}\n{logs}"

    wait_until(drained, DRAIN_TIMEOUT, f"all {total} deliveries to be sent", interval=0.5, on_timeout=diagnostics)
    elapsed = time.monotonic() - started
    print(f"{total} deliveries sent in {elapsed:.1f} s")

    # Every property is checked and all failures are reported together.
    problems: list[str] = []

    # Sent once each: one Slack message per (channel, notification), after one attempt.
    unsent = pg_database.query("SELECT count(*) FROM messages WHERE external_ref IS NULL")
    if unsent != ["0"]:
        problems.append(f"messages without a Slack ts: {unsent}")
    for name in names:
        messages = sandbox_messages(port, channel_ids[name])
        texts = [m["text"] for m in messages]
        dupes = sorted(t for t, n in collections.Counter(texts).items() if n > 1)
        if dupes:
            seen = {t: [m["receivedAt"] for m in messages if m["text"] == t] for t in dupes}
            problems.append(f"#{name} got the same notification more than once (text: receivedAt): {seen}")
        if set(texts) != set(titles):
            problems.append(f"#{name} is missing {sorted(set(titles) - set(texts))} and has extra "
                            f"{sorted(set(texts) - set(titles))}")
        if any(m["edits"] != 0 for m in messages):
            problems.append(f"#{name}: a notification was edited")
    # A delivery claimed twice was sent twice (its first outcome was lost): none may be.
    attempts = pg_database.query("SELECT attempts, count(*) FROM deliveries GROUP BY attempts ORDER BY attempts")
    if attempts != [f"1|{total}"]:
        retried = pg_database.query(
            "SELECT json_build_object('target', target, 'attempts', attempts, 'claimed_by', claimed_by,"
            " 'created_at', extract(epoch FROM created_at), 'next_attempt_at', extract(epoch FROM next_attempt_at),"
            " 'sent_at', extract(epoch FROM sent_at))::text FROM deliveries WHERE attempts > 1 LIMIT 10")
        problems.append(f"deliveries by number of attempts (attempts|count): {attempts}; "
                        f"retried (next_attempt_at later than created_at means a recorded retry, equal means "
                        f"a lease that expired): {retried}")

    # More than one process did the work.
    claimers = dict(row.split("|") for row in pg_database.query(
        "SELECT claimed_by, count(*) FROM deliveries WHERE state = 'sent' GROUP BY claimed_by"))
    print(f"deliveries per worker: {claimers}")
    if "" in claimers or len(claimers) < 2:
        problems.append(f"deliveries were not shared between processes: {claimers}")

    # Pacing across all processes: never two messages in one channel within 1/rate.
    violations = []
    for name in names:
        received = sorted(m["receivedAt"] for m in sandbox_messages(port, channel_ids[name]))
        gaps = [b - a for a, b in zip(received, received[1:])]
        too_close = [round(g, 4) for g in gaps if g < MIN_GAP]
        if too_close:
            violations.append((name, len(too_close), min(too_close)))
    if violations:
        problems.append(f"channels that got messages faster than {RATE:g}/s "
                        f"(channel, gaps < {MIN_GAP:.3f} s, smallest): {violations}")

    assert not problems, "\n".join(problems) + "\n--- warnings and errors in the logs ---\n" + _errors(serve, *workers)

    for p in (*workers, serve):
        assert p.proc.poll() is None, f"{p.name} died\n{p.logs()}"
        p.stop()
