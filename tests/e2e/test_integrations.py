"""Integrations, their seven sinks, and alert rules, against the built binary (SPEC §1, §2, §4, §8).

Herald runs `serve --sandbox` (its Slack is the built-in workspace); every other service is an
emulation in this process (sink_emulators.py) on 127.0.0.1 that checks each request as the real
service does. Pacing is off (HERALD_CHANNEL_RATE=0) so that each test is bounded by its events,
except where pacing is what is tested.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time

import pytest

from conftest import free_port, herald_env, http, sandbox_messages, wait_for_banner, wait_until
from sink_emulators import Emulators

SECRETS = {
    "hipchat_token": "hipchat-room-token-5e3c2a",
    "signing": "whsec-signing-secret-7d1f0b",
    "discord_token": "discord-hook-token-Ab12Cd34",
    "mattermost_key": "mm-hook-key-9f8e7d",
    "teams_sig": "teams-sig-c0ffee",
}


@pytest.fixture
def emulators():
    e = Emulators()
    yield e
    e.close()


class Herald:
    """One `herald serve --sandbox`, its demo project and what a test needs to drive it."""

    def __init__(self, server, port, banner, tmp_path):
        self.server, self.port, self.banner, self.dir = server, port, banner, tmp_path
        self.project = banner.project_id

    def api(self, method, path, body=None, expect=None):
        resp = http(method, self.port, f"/api/v1{path}", token=self.banner.api_token, body=body)
        if expect is not None:
            assert resp.status == expect, resp
        return resp

    def integration(self, name, sink, source="all", expect=201):
        resp = self.api("POST", f"/projects/{self.project}/integrations", {"name": name, "source": source, "sink": sink}, expect=expect)
        return resp.json()

    def event(self, body):
        resp = http("POST", self.port, "/api/v1/events", token=self.banner.event_key, body=body)
        assert resp.status == 202, resp
        return resp.json()

    def deliveries(self, **query):
        q = "&".join(f"{k}={v}" for k, v in {"project": self.project, "limit": 1000, **query}.items())
        return self.api("GET", f"/deliveries?{q}", expect=200).json()

    def settled(self, count_sink=None, timeout=30):
        """Waits until no delivery is pending or sending, and returns them all."""
        def done():
            ds = self.deliveries()
            if count_sink and len([d for d in ds if d["sink"] == count_sink[0]]) < count_sink[1]:
                return None
            return ds if ds and all(d["state"] not in ("pending", "sending") for d in ds) else None
        return wait_until(done, timeout, "deliveries to settle", on_timeout=self.server.logs)


@pytest.fixture
def herald(tmp_path, start_server):
    def start(**env):
        port = free_port()
        server = start_server(tmp_path, herald_env(**{"HERALD_CHANNEL_RATE": "0", **env}), port=port, args=["serve", "--sandbox", "--port", str(port)])
        return Herald(server, port, wait_for_banner(server), tmp_path)
    return start


def sinks(e: Emulators) -> dict[str, dict]:
    """One integration setting per non-Slack sink type, on the emulators."""
    return {
        "hipchat": {"type": "hipchat", "url": e.hipchat_room("42", SECRETS["hipchat_token"]), "authToken": SECRETS["hipchat_token"]},
        "mattermost": {"type": "mattermost", "url": e.mattermost_hook(SECRETS["mattermost_key"])},
        "discord": {"type": "discord", "url": e.discord_hook("777", SECRETS["discord_token"])},
        "teams": {"type": "teams", "url": e.teams_flow("flow1", SECRETS["teams_sig"])},
        "webhook": {"type": "webhook", "url": e.receiver("ops"), "secret": SECRETS["signing"]},
    }


# --- the API --------------------------------------------------------------------------------------


def test_integrations_api_validates_keeps_secrets_write_only_and_patch_keeps_them(herald, emulators):
    h = herald()
    settings = sinks(emulators)
    created = {name: h.integration(name, sink) for name, sink in settings.items()}
    created["slack"] = h.integration("slack-own", {"type": "slack", "channel": "Ops", "token": "xoxb-own-token-1234"})
    blob = json.dumps(created)
    for secret in [*SECRETS.values(), "xoxb-own-token-1234"]:
        assert secret not in blob
    assert created["slack"]["sink"] == {"type": "slack", "channel": "#ops", "tokenConfigured": True, "threadUpdates": False,
                                        "fingerprint": created["slack"]["sink"]["fingerprint"]}
    assert created["hipchat"]["sink"]["urlConfigured"] and created["hipchat"]["sink"]["authTokenConfigured"]
    assert created["webhook"]["sink"]["secretConfigured"] is True
    assert len(created["discord"]["sink"]["fingerprint"]) == 8

    listed = h.api("GET", f"/projects/{h.project}/integrations", expect=200).json()
    assert [i["name"] for i in listed] == [*settings, "slack-own"]

    def refused(body, field):
        resp = h.api("POST", f"/projects/{h.project}/integrations", body)
        assert resp.status == 422, resp
        problem = resp.json()
        assert problem["field"] == field, problem
        return problem

    refused({"name": "x", "source": "all", "sink": {"type": "carrier_pigeon"}}, "sink.type")
    refused({"name": "x", "source": "all", "sink": {"type": "mattermost"}}, "sink.url")
    refused({"name": "x", "source": "all", "sink": {"type": "discord", "url": "ftp://example.test/hook"}}, "sink.url")
    refused({"name": "x", "source": "all", "sink": {"type": "slack", "channel": ""}}, "sink.channel")
    refused({"name": "x", "source": "all", "sink": {"type": "slack", "channel": "#bad channel"}}, "sink.channel")
    refused({"name": "x", "source": "everything", "sink": {"type": "mattermost", "url": "http://127.0.0.1:9/h"}}, "source")
    refused({"name": "HipChat", "source": "all", "sink": settings["mattermost"]}, "name")
    refused({"name": "x", "source": "all", "sink": {"type": "hipchat", "url": "http://127.0.0.1:9/v2/room/1/notification"}}, "sink.authToken")
    refused({"name": "x", "source": "all", "sink": {"type": "hipchat", "url": "http://127.0.0.1:9/v2/room/1/notification", "authToken": "  "}},
            "sink.authToken")
    refused({"name": "x", "source": "all", "sink": {"type": "webhook", "url": "HTTP://127.0.0.1:9/upper"}}, "sink.url")
    refused({"name": "x", "source": "all", "sink": {"type": "webhook", "url": "http://0.0.0.0:6379/"}}, "sink.url")
    teams = refused({"name": "x", "source": "all", "sink": {"type": "teams", "url": "https://contoso.webhook.office.com/webhookb2/abc"}}, "sink.url")
    assert "retired" in teams["detail"] or "retired" in json.dumps(teams)
    refused({"name": "x", "source": "all", "sink": {"type": "webhook", "url": "http://169.254.169.254/latest/meta-data"}}, "sink.url")
    assert len(h.api("GET", f"/projects/{h.project}/integrations", expect=200).json()) == len(created), "refusals change nothing"

    # PATCH without the secret keeps it; a new name must be free.
    hook = created["webhook"]
    patched = h.api("PATCH", f"/integrations/{hook['id']}", {"name": "ops-hook", "sink": {}}, expect=200).json()
    assert patched["name"] == "ops-hook" and patched["sink"]["secretConfigured"] and patched["sink"]["fingerprint"] == hook["sink"]["fingerprint"]
    assert h.api("PATCH", f"/integrations/{hook['id']}", {"name": "Discord"}).status == 422
    renamed = h.api("PATCH", f"/integrations/{created['slack']['id']}", {"sink": {"channel": "#ops-2"}}, expect=200).json()
    assert renamed["sink"]["tokenConfigured"] and renamed["sink"]["channel"] == "#ops-2"
    assert h.api("GET", "/integrations/00000000-0000-0000-0000-000000000000").status == 404

    # The secrets are nowhere in the database file or the log.
    time.sleep(0)  # (nothing to wait for: every write above was answered after it committed)
    database = (h.dir / "herald.sqlite").read_bytes() + b"".join(p.read_bytes() for p in h.dir.glob("herald.sqlite-*"))
    logs = h.server.logs()
    for secret in [*SECRETS.values(), "xoxb-own-token-1234"]:
        assert secret.encode() not in database, secret
        assert secret not in logs, secret


# --- each sink against its emulation ----------------------------------------------------------------


def test_each_sink_posts_what_its_service_accepts_and_discord_edits_in_place(herald, emulators):
    h = herald()
    for name, sink in sinks(emulators).items():
        h.integration(name, sink)
    incident = h.event({"type": "incident", "action": "trigger", "key": "disk-1", "title": "Disk <full> & on fire",
                        "description": "sda1 at 99%", "severity": "critical", "tags": {"host": "db1"}})["incidentId"]
    h.settled(count_sink=("webhook", 1))
    h.event({"type": "incident", "action": "acknowledge", "key": "disk-1"})
    h.settled(count_sink=("webhook", 2))
    h.event({"type": "incident", "action": "resolve", "key": "disk-1"})
    deliveries = h.settled(count_sink=("webhook", 3))
    assert all(d["state"] == "sent" for d in deliveries), [d for d in deliveries if d["state"] != "sent"]

    hipchat = emulators.accepted("hipchat:42")
    assert [m["color"] for m in hipchat] == ["red", "yellow", "green"]
    assert [m["notify"] for m in hipchat] == [True, False, False]
    assert all(m["message_format"] == "html" for m in hipchat)
    assert "Disk &lt;full&gt; &amp; on fire" in hipchat[0]["message"] and "<full>" not in hipchat[0]["message"]
    assert f"/incidents/{incident}?at=" in hipchat[0]["message"]

    mattermost = emulators.accepted(f"mattermost:{SECRETS['mattermost_key']}")
    assert [m["attachments"][0]["color"] for m in mattermost] == ["#D32F2F", "#F5A623", "#2E7D32"]
    assert mattermost[0]["attachments"][0]["title"] == "Disk <full> & on fire"

    teams = emulators.accepted("teams:flow1")
    assert [t["attachments"][0]["content"]["body"][0]["style"] for t in teams] == ["attention", "warning", "good"]

    webhook = emulators.accepted("receiver:ops")
    assert [r.json()["incident"]["status"] for r in webhook] == ["triggered", "acknowledged", "resolved"]
    versions = [r.json()["incident"]["version"] for r in webhook]
    assert versions == sorted(versions) and len(set(versions)) == 3

    # Discord: one message, posted with ?wait=true and then edited twice, green at the end.
    posts = [r for r in emulators.received("/api/webhooks/777") if r.method == "POST"]
    edits = [r for r in emulators.received("/api/webhooks/777") if r.method == "PATCH"]
    assert len(posts) == 1 and posts[0].query.get("wait") == "true"
    assert len(edits) == 2
    (message,) = emulators.discord_messages.values()
    assert message["edits"] == 2
    assert message["body"]["embeds"][0]["color"] == 0x2E7D32
    assert message["body"]["allowed_mentions"] == {"parse": []}


def test_discord_keeps_within_its_limits_and_reposts_a_deleted_message(herald, emulators):
    h = herald()
    h.integration("discord", sinks(emulators)["discord"])
    h.event({"type": "incident", "action": "trigger", "key": "big", "title": "T" * 400, "description": "é" * 9000,
             "tags": {f"k{i}": "v" * 150 for i in range(40)}})
    h.settled(count_sink=("discord", 1))
    (first_id, first), = emulators.discord_messages.items()
    embed = first["body"]["embeds"][0]
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096 and len(embed["fields"]) <= 25
    assert embed["title"].endswith("…")
    # The message is deleted in Discord: the edit answers 404 Unknown Message, and Herald posts a fresh one.
    with emulators.lock:
        del emulators.discord_messages[first_id]
    h.event({"type": "incident", "action": "acknowledge", "key": "big"})
    deliveries = h.settled(count_sink=("discord", 2))
    assert [d["state"] for d in deliveries if d["sink"] == "discord"] == ["sent", "sent"]
    assert len(emulators.discord_messages) == 1 and first_id not in emulators.discord_messages
    assert [r.method for r in emulators.received("/api/webhooks/777")] == ["POST", "PATCH", "POST"]


@pytest.mark.parametrize("sink_name,prefix,status,body", [
    ("hipchat", "/v2/room/42", 401, {"error": {"code": 401, "message": "Invalid OAuth session", "type": "Unauthorized"}}),
    ("hipchat", "/v2/room/42", 404, {"error": {"code": 404, "message": "Room not found", "type": "Not Found"}}),
    ("mattermost", "/hooks/", 400, {"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook.", "status_code": 400}),
    ("discord", "/api/webhooks/777", 404, {"message": "Unknown Webhook", "code": 10015}),
    ("teams", "/workflows/flow1", 400, {"error": {"code": "InvalidRequestContent", "message": "The request content is not valid."}}),
    ("webhook", "/receiver/ops", 410, "gone for good"),
])
def test_permanent_errors_fail_at_once_with_the_services_status(herald, emulators, sink_name, prefix, status, body):
    h = herald()
    h.integration(sink_name, sinks(emulators)[sink_name], source="notifications")
    emulators.fail(prefix, status, json.dumps(body) if isinstance(body, dict) else body, times=5)
    h.event({"type": "notification", "title": "Deploy finished"})
    (delivery,) = [d for d in h.settled(count_sink=(sink_name, 1)) if d["sink"] == sink_name]
    assert delivery["state"] == "failed" and delivery["attempts"] == 1, delivery
    assert delivery["lastErrorCode"] == f"http_{status}"
    assert f"HTTP {status}" in delivery["lastError"]
    integration = h.api("GET", f"/projects/{h.project}/integrations", expect=200).json()[0]
    assert integration["lastDelivery"]["outcome"] == "failed" and f"http_{status}" in integration["lastDelivery"]["error"]


@pytest.mark.parametrize("sink_name,prefix", [
    ("hipchat", "/v2/room/42"), ("mattermost", "/hooks/"), ("discord", "/api/webhooks/777"), ("teams", "/workflows/flow1"),
    ("webhook", "/receiver/ops"),
])
def test_429_and_5xx_are_retried(herald, emulators, sink_name, prefix):
    h = herald()
    h.integration(sink_name, sinks(emulators)[sink_name], source="notifications")
    emulators.fail(prefix, 503, "busy", times=1)
    emulators.fail(prefix, 429, json.dumps({"message": "You are being rate limited.", "retry_after": 0.5, "global": False}),
                   headers={"Retry-After": "1"}, times=1)
    h.event({"type": "notification", "title": "Backup done"})
    (delivery,) = [d for d in h.settled(count_sink=(sink_name, 1)) if d["sink"] == sink_name]
    assert delivery["state"] == "sent" and delivery["attempts"] == 3, delivery
    attempts = emulators.received(prefix)
    assert len(attempts) == 3


def test_discord_rate_limit_headers_hold_the_webhook(herald, emulators):
    """With pacing on, an empty bucket (X-RateLimit-Remaining: 0) holds the next send for its
    X-RateLimit-Reset-After (here 1.5 s, three times Discord's own pacing interval)."""
    h = herald(HERALD_CHANNEL_RATE="1000")
    h.integration("discord", sinks(emulators)["discord"], source="notifications")
    emulators.discord_remaining["777"] = 1  # the first send empties the bucket
    emulators.discord_reset_after = "1.500"
    for i in range(2):
        h.event({"type": "notification", "title": f"n{i}"})
    h.settled(count_sink=("discord", 2))
    posts = emulators.received("/api/webhooks/777")
    assert len(posts) == 2, posts
    assert posts[1].at - posts[0].at >= 1.4, [p.at for p in posts]


def test_signed_webhook_signature_verifies_and_delivery_id_is_stable_across_retries(herald, emulators):
    h = herald()
    h.integration("hook", sinks(emulators)["webhook"], source="notifications")
    emulators.fail("/receiver/ops", 500, "oops", times=1)
    h.event({"type": "notification", "title": "Signed", "text": "body"})
    h.settled(count_sink=("webhook", 1))
    attempts = emulators.received("/receiver/ops")
    assert len(attempts) == 2
    assert attempts[0].headers["x-herald-delivery"] == attempts[1].headers["x-herald-delivery"]
    assert [a.headers["x-herald-attempt"] for a in attempts] == ["1", "2"]
    for attempt in attempts:
        expected = "sha256=" + hmac.new(SECRETS["signing"].encode(), attempt.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(attempt.headers["x-herald-signature"], expected)
        assert abs(int(attempt.headers["x-herald-timestamp"]) - time.time()) < 120
        assert attempt.json()["schema"] == "herald.webhook.v1" and attempt.json()["notification"]["title"] == "Signed"


def test_slack_webhook_sink_posts_to_the_sandbox_hook(herald):
    h = herald()
    hook = http("POST", h.port, "/sandbox/control/webhooks", body={"channel": "#hooks"})
    if hook.status == 404:
        http("POST", h.port, "/sandbox/control/channels", body={"name": "hooks"})
        hook = http("POST", h.port, "/sandbox/control/webhooks", body={"channel": "#hooks"})
    assert hook.status == 201, hook
    h.integration("slack-hook", {"type": "slack_webhook", "url": hook.json()["url"]}, source="incidents")
    h.event({"type": "incident", "action": "trigger", "key": "k1", "title": "Via webhook"})
    h.settled(count_sink=("slack_webhook", 1))
    h.event({"type": "incident", "action": "resolve", "key": "k1"})
    h.settled(count_sink=("slack_webhook", 2))
    messages = [m for m in sandbox_messages(h.port, "#hooks") if m["viaWebhook"]]
    assert len(messages) == 2, messages


# --- routing -----------------------------------------------------------------------------------------


def test_settings_and_an_integration_to_the_same_channel_and_token_post_once(herald):
    h = herald()
    # The demo project's Slack settings post to #alerts with the sandbox's bot token; an integration
    # without a token of its own uses the same token.
    h.integration("same", {"type": "slack", "channel": "#alerts"})
    h.event({"type": "notification", "title": "Only once"})
    deliveries = h.settled()
    assert len([d for d in deliveries if d["sink"] == "slack"]) == 1
    assert len([m for m in sandbox_messages(h.port, "#alerts") if "Only once" in m["text"]]) == 1


def test_rules_source_gets_nothing_without_a_rule_and_rules_route_with_and_without_notify_on_clear(herald, emulators):
    h = herald()
    quiet = h.integration("quiet", {"type": "webhook", "url": emulators.receiver("quiet")}, source="rules")
    loud = h.integration("loud", {"type": "webhook", "url": emulators.receiver("loud")}, source="rules")
    silent_rule = h.api("POST", f"/projects/{h.project}/alert-rules", {"name": "disk", "integrations": [quiet["id"]]}, expect=201).json()
    assert silent_rule["notifyOnClear"] is False and silent_rule["integrations"] == [quiet["id"]]
    notify_rule = h.api("POST", f"/projects/{h.project}/alert-rules",
                        {"name": "cpu", "integrations": [loud["id"]], "notifyOnClear": True}, expect=201).json()
    assert h.api("POST", f"/projects/{h.project}/alert-rules", {"name": "x", "integrations": ["00000000-0000-0000-0000-000000000000"]}).json()["field"] == "integrations[0]"

    # No rule: the `rules` integrations get nothing.
    h.event({"type": "incident", "action": "trigger", "key": "plain", "title": "No rule"})
    h.settled()
    assert emulators.accepted("receiver:quiet") == [] and emulators.accepted("receiver:loud") == []

    # By name (any case) and by id; started a minute ago, so the trigger's link and the clear's differ.
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    h.event({"type": "incident", "action": "trigger", "key": "d", "title": "Disk", "rule": "DISK", "at": started})
    h.event({"type": "incident", "action": "trigger", "key": "c", "title": "CPU", "rule": notify_rule["id"], "at": started})
    h.settled(count_sink=("webhook", 2))
    # The rules are edited and deleted while their alerts are open: the messages keep their policy.
    h.api("PATCH", f"/alert-rules/{silent_rule['id']}", {"notifyOnClear": True}, expect=200)
    h.api("DELETE", f"/alert-rules/{notify_rule['id']}", expect=204)
    h.event({"type": "incident", "action": "resolve", "key": "d"})
    h.event({"type": "incident", "action": "resolve", "key": "c"})
    h.settled()
    h.event({"type": "notification", "title": "barrier"})  # one more turn of the delivery loop
    h.settled()
    assert [r.json()["incident"]["status"] for r in emulators.accepted("receiver:quiet")] == ["triggered"], "no clear without notifyOnClear"
    loud_bodies = [r.json()["incident"] for r in emulators.accepted("receiver:loud")]
    assert [b["status"] for b in loud_bodies] == ["triggered", "resolved"]
    assert "?at=" in loud_bodies[0]["link"] and loud_bodies[0]["link"] != loud_bodies[1]["link"], "each links to its own time"

    # An unknown rule: Herald's API refuses it; a compatibility sender's alert still goes to the
    # settings channels and its timeline says the rule was not found.
    resp = http("POST", h.port, "/api/v1/events", token=h.banner.event_key,
                body={"type": "incident", "action": "trigger", "key": "u", "title": "Unknown", "rule": "nope"})
    assert resp.status == 404 and resp.json()["field"] == "rule", resp
    am = http("POST", h.port, "/api/v1/alertmanager", token=h.banner.event_key, body={
        "version": "4", "status": "firing", "receiver": "herald", "groupKey": "g", "externalURL": "http://am", "groupLabels": {},
        "commonLabels": {}, "commonAnnotations": {}, "truncatedAlerts": 0,
        "alerts": [{"status": "firing", "labels": {"alertname": "Ghost", "herald_rule": "nope"}, "annotations": {},
                    "startsAt": "2026-12-06T07:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "ghost1"}]})
    assert am.status in (200, 202), am
    ghost = wait_until(lambda: next((i for i in h.api("GET", f"/projects/{h.project}/incidents", expect=200).json()
                                     if i["key"] == "alertmanager:ghost1"), None), 30, "the Alertmanager alert's incident")
    detail = h.api("GET", f"/incidents/{ghost['id']}", expect=200).json()
    assert any(t["kind"] == "rule_unknown" and "nope" in t["summary"] for t in detail["timeline"]), detail["timeline"]


def test_deleting_one_of_two_integrations_to_one_place_keeps_the_other_going(herald, emulators):
    h = herald()
    url = emulators.mattermost_hook("shared")
    first = h.integration("first", {"type": "mattermost", "url": url}, source="incidents")
    h.integration("second", {"type": "mattermost", "url": url}, source="incidents")
    h.event({"type": "incident", "action": "trigger", "key": "twin", "title": "Twins"})
    h.settled(count_sink=("mattermost", 1))
    assert len(emulators.accepted("mattermost:shared")) == 1, "one place, one message"
    h.api("DELETE", f"/integrations/{first['id']}", expect=204)
    h.event({"type": "incident", "action": "resolve", "key": "twin"})
    deliveries = h.settled(count_sink=("mattermost", 2))
    assert [d["state"] for d in deliveries if d["sink"] == "mattermost"] == ["sent", "sent"], deliveries
    assert len(emulators.accepted("mattermost:shared")) == 2


def test_deleting_an_integration_cancels_its_pending_deliveries(herald, emulators):
    h = herald()
    flaky = h.integration("flaky", {"type": "mattermost", "url": emulators.mattermost_hook("flaky")}, source="notifications")
    emulators.fail("/hooks/flaky", 503, "down", times=100)
    h.event({"type": "notification", "title": "Will be cancelled"})
    wait_until(lambda: [d for d in h.deliveries() if d["sink"] == "mattermost" and d["attempts"] >= 1 and d["state"] == "pending"],
               30, "a pending retry")
    h.api("DELETE", f"/integrations/{flaky['id']}", expect=204)
    assert h.api("GET", f"/integrations/{flaky['id']}").status == 404
    (delivery,) = [d for d in h.deliveries() if d["sink"] == "mattermost"]
    assert delivery["state"] == "cancelled" and delivery["lastErrorCode"] == "integration_deleted", delivery
    assert [d["id"] for d in h.deliveries(state="cancelled")] == [delivery["id"]]


def test_integration_test_reports_the_sinks_own_outcome(herald, emulators):
    h = herald()
    ok = h.integration("ok", sinks(emulators)["hipchat"])
    result = h.api("POST", f"/integrations/{ok['id']}/test", expect=200).json()["results"]
    assert result == [{"ok": True}], result
    assert "Herald test message" in emulators.accepted("hipchat:42")[0]["message"]
    wrong = h.integration("wrong", {"type": "hipchat", "url": emulators.hipchat_room("43", "right"), "authToken": "wrong-token"})
    (failed,) = h.api("POST", f"/integrations/{wrong['id']}/test", expect=200).json()["results"]
    assert failed["ok"] is False and failed["error"] == "http_401" and "Invalid OAuth session" in failed["detail"], failed
    slack = h.integration("slack-bad", {"type": "slack", "channel": "#no-such-channel"})
    (slack_result,) = h.api("POST", f"/integrations/{slack['id']}/test", expect=200).json()["results"]
    assert slack_result == {"channel": "#no-such-channel", "ok": False, "error": "channel_not_found",
                            "detail": slack_result["detail"]}, slack_result


def test_outbound_policy_refuses_denied_addresses_without_connecting(herald, emulators):
    h = herald(HERALD_OUTBOUND_DENY="127.0.0.0/8, ::1/128")
    # A literal denied address is refused when the integration is made…
    resp = h.api("POST", f"/projects/{h.project}/integrations",
                 {"name": "denied", "source": "notifications", "sink": {"type": "webhook", "url": emulators.receiver("ops")}})
    assert resp.status == 422 and resp.json()["field"] == "sink.url", resp
    # …and a name is resolved at send time: `localhost` (from /etc/hosts, no DNS) is loopback, so
    # the send is refused for good with nothing connected.
    named = h.integration("local", {"type": "webhook", "url": emulators.receiver("ops").replace("127.0.0.1", "localhost")},
                          source="notifications")
    assert named["sink"]["urlConfigured"]
    h.event({"type": "notification", "title": "loopback by name"})
    (delivery,) = [d for d in h.settled(count_sink=("webhook", 1)) if d["sink"] == "webhook"]
    assert delivery["state"] == "failed" and delivery["lastErrorCode"] == "address_refused" and delivery["attempts"] == 1, delivery
    assert emulators.received("/receiver") == []
    # The Slack sandbox is the operator's Slack, not a tenant URL: it is still reached.
    assert [m for m in sandbox_messages(h.port, "#alerts") if "loopback by name" in m["text"]]
