"""Durability across a crash (SPEC §5): an event that got a `202` is never lost; after a restart
nothing that was already sent is sent again, and after a clean stop nothing at all.

Slack is `slack-sandbox`, a process of its own that outlives Herald, so it sees every post of both
Herald processes. One `herald serve` (SQLite in a temp dir, no pacing) takes a burst of
notifications from a few threads and is stopped in the middle of it (SIGKILL: a crash; SIGTERM: a
clean stop). Right after, the SQLite file is read to see each delivery's state. Then `herald serve`
starts again on the same directory and drains the outbox. Then:

- every event that got a `202` is in the `events` table with exactly one message and one delivery,
  and that delivery is `sent`;
- Slack got every stored event's message at least once; exactly once for each delivery that was
  `sent` or `pending` at the stop. Only a delivery in flight (`sending`) when the process was
  killed may arrive twice (at-least-once: Herald cannot know whether Slack got it). After SIGTERM
  nothing is in flight, so every message arrives exactly once.

Every wait is bounded; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import collections
import signal
import sqlite3
import threading
import time
import urllib.error

import pytest

from conftest import ADMIN_TOKEN, free_port, herald_env, http, slack_project, wait_until

BURST = 300  # notifications offered
KILL_AFTER = 150  # SIGKILL once this many got a 202
SENDERS = 6  # client threads
BURST_TIMEOUT = 90.0  # seconds for KILL_AFTER 202s to arrive
DRAIN_TIMEOUT = 60.0  # seconds for the restarted server to send everything left over
REQUEST_TIMEOUT = 10.0


def _db_rows(path) -> list[tuple]:
    """(event title, message id, delivery state) for every event, read straight from the SQLite file."""
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=10)
    try:
        return conn.execute("""
            SELECT e.title, m.id, d.id, d.state
            FROM events e
            LEFT JOIN messages m ON m.event_id = e.id
            LEFT JOIN deliveries d ON d.message_id = m.id
            WHERE e.kind = 'notification'
        """).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_stop_mid_burst_loses_nothing_and_resends_nothing(tmp_path, start_server, slack_sandbox, stop_signal):
    cwd = tmp_path
    port = free_port()
    env = herald_env(HERALD_CHANNEL_RATE="0", HERALD_SLACK_API_URL=slack_sandbox.api_url,
                     HERALD_ADMIN_EMAIL="ops@example.com", HERALD_ADMIN_TOKEN=ADMIN_TOKEN)
    args = ["serve", "--port", str(port)]

    first = start_server(cwd, env, port=port, args=args, name="herald-before-stop")
    first.wait_healthy()
    _, event_key = slack_project(port, slack_sandbox.bot_token())

    # --- the burst -------------------------------------------------------------------------------
    titles = [f"n-{i}" for i in range(BURST)]
    lock = threading.Lock()
    next_index = [0]
    accepted: list[str] = []  # got a 202
    unexpected: list[tuple[str, object]] = []  # any other answer while the server was alive
    enough = threading.Event()
    killed = threading.Event()

    def sender():
        while not killed.is_set():
            with lock:
                if next_index[0] >= len(titles):
                    return
                title = titles[next_index[0]]
                next_index[0] += 1
            try:
                resp = http("POST", port, "/api/v1/events", token=event_key,
                            body={"type": "notification", "title": title}, timeout=REQUEST_TIMEOUT)
            except (OSError, urllib.error.URLError) as err:
                # In doubt: the server may have committed it before it died. No claim either way.
                if not killed.is_set():
                    with lock:
                        unexpected.append((title, repr(err)))
                return
            with lock:
                if resp.status == 202:
                    accepted.append(title)
                    if len(accepted) >= KILL_AFTER:
                        enough.set()
                elif not killed.is_set():
                    unexpected.append((title, resp))

    threads = [threading.Thread(target=sender, name=f"sender-{i}", daemon=True) for i in range(SENDERS)]
    for t in threads:
        t.start()
    assert enough.wait(BURST_TIMEOUT), (f"only {len(accepted)} of {KILL_AFTER} events accepted within "
                                        f"{BURST_TIMEOUT:.0f} s; unexpected: {unexpected[:5]}\n{first.logs()}")
    killed.set()  # first, so that the senders take the connection errors that follow for what they are
    first.proc.send_signal(stop_signal)  # mid-burst
    first.proc.wait(timeout=30)
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT + 5)
        assert not t.is_alive(), f"{t.name} did not finish"
    first.stop()  # closes its log files

    with lock:
        accepted_set = set(accepted)
        offered = next_index[0]
    assert not unexpected, f"answers other than 202 before the stop: {unexpected[:10]}"
    assert len(accepted_set) == len(accepted) >= KILL_AFTER
    assert offered < BURST, "the burst had finished before the stop; nothing was in flight"

    # --- the database right after the stop ---------------------------------------------------------
    db_path = cwd / "herald.sqlite"
    at_stop = _db_rows(db_path)
    state_at_stop = {title: state for title, _, _, state in at_stop}
    missing = sorted(accepted_set - state_at_stop.keys(), key=lambda t: int(t[2:]))
    assert not missing, f"events that got a 202 are not in the database after the stop: {missing[:20]}"
    for title, message_id, delivery_id, _ in at_stop:
        assert message_id is not None and delivery_id is not None, f"event {title!r} has no message/delivery"
    in_flight = {title for title, state in state_at_stop.items() if state == "sending"}
    if stop_signal == signal.SIGTERM:
        assert not in_flight, f"a clean stop left deliveries in flight: {sorted(in_flight)[:5]}"
    posted_before = collections.Counter(m["text"] for m in slack_sandbox.messages("#alerts"))
    print(f"at the stop: {len(accepted)} accepted, {len(at_stop)} events stored, "
          f"{sum(1 for s in state_at_stop.values() if s == 'sent')} sent, {len(in_flight)} in flight, "
          f"{sum(posted_before.values())} posts in Slack")

    # --- restart on the same directory and port -----------------------------------------------------
    second = start_server(cwd, env, port=port, args=args, name="herald-after-stop")
    second.wait_healthy()

    def outbox_empty():
        for state in ("pending", "sending"):
            resp = http("GET", port, f"/api/v1/deliveries?state={state}&limit=1", token=ADMIN_TOKEN)
            assert resp.status == 200, resp
            if resp.json():
                return False
        return True

    # Two clean looks in a row, so a delivery moving between states is not missed.
    wait_until(lambda: outbox_empty() and (time.sleep(0.3) or outbox_empty()), DRAIN_TIMEOUT,
               "the restarted server to send every delivery left at the stop", on_timeout=second.logs)
    for state in ("failed", "dead"):
        resp = http("GET", port, f"/api/v1/deliveries?state={state}&limit=1000", token=ADMIN_TOKEN)
        assert resp.status == 200, resp
        assert resp.json() == [], f"{state} deliveries: {resp.json()[:3]}"

    # Every event that got a 202 has exactly one message whose one delivery is sent.
    after = _db_rows(db_path)
    by_title = collections.defaultdict(list)
    for title, message_id, delivery_id, state in after:
        by_title[title].append((message_id, delivery_id, state))
    problems = {}
    for title in accepted_set:
        rows = by_title.get(title, [])
        if len(rows) != 1 or rows[0][2] != "sent":
            problems[title] = rows
    assert not problems, f"accepted events without exactly one sent delivery: {dict(list(problems.items())[:10])}"
    assert all(state == "sent" for _, _, _, state in after), [r for r in after if r[3] != "sent"][:10]

    # Slack, which saw both processes: every stored event at least once, and twice only if its
    # delivery was in flight when the process was killed.
    posted = collections.Counter(m["text"] for m in slack_sandbox.messages("#alerts"))
    stored = set(state_at_stop)
    assert set(posted) == stored, (f"missing in Slack: {sorted(stored - set(posted))[:10]}, "
                                   f"unknown in Slack: {sorted(set(posted) - stored)[:10]}")
    twice = {title for title, n in posted.items() if n > 1}
    assert all(posted[t] <= 2 for t in twice), {t: posted[t] for t in twice if posted[t] > 2}
    assert twice <= in_flight, f"sent twice though not in flight at the stop: {sorted(twice - in_flight)[:10]}"
    if stop_signal == signal.SIGTERM:
        assert not twice, f"sent twice after a clean stop: {sorted(twice)[:10]}"
    print(f"Slack got {sum(posted.values())} posts for {len(stored)} events; {len(twice)} in-flight ones twice")
    second.stop()
