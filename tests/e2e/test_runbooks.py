"""Runbook tasks that post to Slack (SPEC §7), against the built binary and its Slack sandbox.

A task's message goes through the outbox like every other message; its state follows its
delivery: sending, then sent (with the channel and ts) or failed ("Connection failed", with
Slack's error kept); in a rehearsal it is skipped unless it says runInRehearsal. Starting it twice
posts once. A task may be sent as the user who starts it, with their personal Slack token.
"""

from __future__ import annotations

from conftest import free_port, herald_env, http, sandbox_messages, wait_for_banner, wait_until


def start(start_server, tmp_path):
    port = free_port()
    server = start_server(tmp_path, herald_env(HERALD_CHANNEL_RATE="0"), port=port, args=["serve", "--sandbox", "--port", str(port)])
    banner = wait_for_banner(server)

    def api(method, path, body=None, expect=None, token=banner.api_token):
        resp = http(method, port, f"/api/v1{path}", token=token, body=body)
        if expect is not None:
            assert resp.status == expect, resp
        return resp

    return server, port, banner, api


def test_task_states_double_start_and_rehearsal(start_server, tmp_path):
    server, port, banner, api = start(start_server, tmp_path)
    live = api("POST", f"/projects/{banner.project_id}/runbooks", {"name": "Failover", "mode": "live"}, expect=201).json()
    rehearsal = api("POST", f"/projects/{banner.project_id}/runbooks", {"name": "Drill", "mode": "rehearsal"}, expect=201).json()
    assert api("POST", f"/projects/{banner.project_id}/runbooks", {"name": "x", "mode": "dry"}).json()["field"] == "mode"

    def task(runbook, **body):
        return api("POST", f"/runbooks/{runbook['id']}/tasks", {"type": "slack_message", **body}, expect=201).json()

    ok = task(live, channel="#alerts", message="Failing over *db1* now")
    assert ok["state"] == "idle" and ok["stateText"] == "Not started"
    started = api("POST", f"/tasks/{ok['id']}/start", expect=202).json()
    assert started["state"] in ("sending", "sent")
    again = api("POST", f"/tasks/{ok['id']}/start", expect=200).json()
    assert again["state"] in ("sending", "sent")
    done = wait_until(lambda: (t := api("GET", f"/tasks/{ok['id']}", expect=200).json())["state"] == "sent" and t, 30,
                      "the task to be sent", on_timeout=server.logs)
    assert done["stateText"] == "Sent" and done["ts"] and done["channelId"]
    api("POST", f"/tasks/{ok['id']}/start", expect=200)
    posted = [m for m in sandbox_messages(port, "#alerts") if "Failing over" in m["text"]]
    assert len(posted) == 1, "started three times, posted once"
    assert posted[0]["ts"] == done["ts"]

    # Slack refuses: failed, shown as "Connection failed", Slack's error kept.
    bad = task(live, channel="#no-such-channel", message="Nobody hears this")
    api("POST", f"/tasks/{bad['id']}/start", expect=202)
    failed = wait_until(lambda: (t := api("GET", f"/tasks/{bad['id']}", expect=200).json())["state"] == "failed" and t, 30,
                        "the task to fail", on_timeout=server.logs)
    assert failed["stateText"] == "Connection failed" and failed["error"] == "channel_not_found", failed

    # Rehearsal: skipped, nothing posted; unless runInRehearsal.
    skipped = task(rehearsal, channel="#alerts", message="Drill: would page")
    assert api("POST", f"/tasks/{skipped['id']}/start", expect=202).json()["state"] == "skipped"
    rehearsed = task(rehearsal, channel="#alerts", message="Drill: really posted", runInRehearsal=True)
    api("POST", f"/tasks/{rehearsed['id']}/start", expect=202)
    wait_until(lambda: api("GET", f"/tasks/{rehearsed['id']}", expect=200).json()["state"] == "sent", 30, "the rehearsed task")
    texts = [m["text"] for m in sandbox_messages(port, "#alerts")]
    assert not any("would page" in t for t in texts) and any("really posted" in t for t in texts)
    listed = api("GET", f"/runbooks/{live['id']}", expect=200).json()
    assert [t["id"] for t in listed["tasks"]] == [ok["id"], bad["id"]]
    # The delivery log shows the task's messages like any other.
    deliveries = api("GET", f"/deliveries?project={banner.project_id}", expect=200).json()
    assert {d["state"] for d in deliveries if d["target"] == "#no-such-channel"} == {"failed"}


def test_task_sent_as_the_user_needs_their_token(start_server, tmp_path):
    server, port, banner, api = start(start_server, tmp_path)
    runbook = api("POST", f"/projects/{banner.project_id}/runbooks", {"name": "Comms", "mode": "live"}, expect=201).json()
    task = api("POST", f"/runbooks/{runbook['id']}/tasks",
               {"type": "slack_message", "channel": "#alerts", "message": "Status page updated", "asUser": True}, expect=201).json()
    refused = api("POST", f"/tasks/{task['id']}/start")
    assert refused.status == 422 and refused.json()["field"] == "asUser", refused
    assert api("GET", f"/tasks/{task['id']}", expect=200).json()["state"] == "idle", "a refused start changes nothing"

    user_token = http("POST", port, "/sandbox/control/bot-tokens", body={}).json()["token"]
    stored = api("PUT", "/me/slack-token", {"token": f"  {user_token}\n"}, expect=200).json()
    assert stored["tokenConfigured"] is True and user_token not in str(stored)
    assert api("GET", "/me/slack-token", expect=200).json()["tokenConfigured"] is True
    api("POST", f"/tasks/{task['id']}/start", expect=202)
    wait_until(lambda: api("GET", f"/tasks/{task['id']}", expect=200).json()["state"] == "sent", 30, "the task sent as the user",
               on_timeout=server.logs)
    api("DELETE", "/me/slack-token", expect=204)
    assert api("GET", "/me/slack-token", expect=200).json() == {"tokenConfigured": False}
    assert user_token not in server.logs()
    database = (tmp_path / "herald.sqlite").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("herald.sqlite-*"))
    assert user_token.encode() not in database
