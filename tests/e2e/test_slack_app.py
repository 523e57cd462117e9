"""The Slack app (SPEC §6) end to end: one real `herald serve --sandbox` process, and Slack's requests
to it signed by the official `slack_sdk` SignatureVerifier, never by Herald's own code.

The sandbox plays Slack's Web API (views.open, users.info, chat.getPermalink, conversations.list,
oauth.v2.access, auth.revoke), hands out trigger ids and response_urls, and records what Herald
posts there. Tests that change the installation (OAuth, revoke) run last in the module.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import ADMIN_TOKEN, HeraldServer, free_port, harness, herald_env, http

try:
    from slack_sdk.signature import SignatureVerifier
except ImportError:  # pragma: no cover - the test command installs it
    pytest.fail("the official Python slack_sdk is required: python3 -m pip install slack_sdk", pytrace=False)

SIGNING_SECRET = "e2e-signing-secret-8f14e45fceea167a"
CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "e2e-client-secret"
TEAM = "T0SANDBOX"
BANNER_TIMEOUT = 30.0
WAIT = 20.0  # seconds an effect Herald finishes after answering Slack gets to show

NOT_LINKED = "You have not linked your Slack account with your Herald account."
NOT_MEMBER = "You are not a part of this Organization on Herald. Please contact your Admin."
STAKEHOLDER = ("You are a part of this Organization as a Stakeholder. You cannot take actions on incidents. "
               "Please contact your Admin to upgrade your role.")


# --- the server ----------------------------------------------------------------------------------


class App:
    """The running server, the demo's credentials from its banner, and Slack's side of things."""

    def __init__(self, server: HeraldServer, banner: str):
        self.server = server
        self.port = server.port
        self.token = re.search(r"API token:\s+(\S+)", banner).group(1)
        self.event_key = re.search(r"Event key:\s+(\S+)", banner).group(1)
        self.project = re.search(r"/api/v1/projects/([0-9a-f-]+)/settings/slack/test", banner).group(1)
        orgs = http("GET", self.port, "/api/v1/orgs", token=self.token).json()
        self.org = next(o["id"] for o in orgs if o["name"] == "Demo")
        self.verifier = SignatureVerifier(SIGNING_SECRET)

    # Slack's requests, signed by slack_sdk
    def signed(self, path: str, body: str, content_type: str, timestamp: int | None = None, secret: str | None = None,
               signature: str | None = None, retry: int | None = None):
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        verifier = self.verifier if secret is None else SignatureVerifier(secret)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": signature or verifier.generate_signature(timestamp=stamp, body=body)}
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return raw("POST", self.port, path, body.encode(), headers)

    def interaction(self, payload: dict, **kwargs):
        return self.signed("/slack/interactions", urllib.parse.urlencode({"payload": json.dumps(payload)}),
                           "application/x-www-form-urlencoded", **kwargs)

    def command(self, fields: dict, **kwargs):
        return self.signed("/slack/commands", urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    def event(self, envelope: dict, **kwargs):
        return self.signed("/slack/events", json.dumps(envelope), "application/json", **kwargs)

    # the sandbox's control API
    def control(self, method: str, path: str, body=None, status: int = 200):
        resp = http(method, self.port, "/sandbox/control/" + path, body=body)
        assert resp.status == status, resp
        return resp.json() if resp.body else None

    def response_url(self, channel: str, user: str) -> str:
        return self.control("POST", "response-urls", {"channel": channel, "user": user}, status=201)["url"]

    def trigger_id(self, user: str) -> str:
        return self.control("POST", "trigger-ids", {"user": user}, status=201)["trigger_id"]

    def messages(self, channel: str) -> list[dict]:
        return self.control("GET", f"channels/{urllib.parse.quote(channel, safe='')}/messages")["messages"]

    def ephemerals(self, channel: str, user: str) -> list[str]:
        told = self.control("GET", f"channels/{urllib.parse.quote(channel, safe='')}/ephemerals")["ephemerals"]
        return [e["text"] for e in told if e["user"] == user]

    def channel_id(self, name: str) -> str:
        listed = http("GET", self.port, f"/api/v1/orgs/{self.org}/slack/channels?refresh=true", token=self.token)
        assert listed.status == 200, listed
        return next(c["id"] for c in listed.json() if c["name"] == name)

    # Herald's API
    def incident(self, incident_id: str) -> dict:
        resp = http("GET", self.port, f"/api/v1/incidents/{incident_id}", token=self.token)
        assert resp.status == 200, resp
        return resp.json()

    def trigger(self, key: str, title: str) -> str:
        resp = http("POST", self.port, "/api/v1/events", token=self.event_key,
                    body={"type": "incident", "action": "trigger", "key": key, "title": title})
        assert resp.status == 202, resp
        return resp.json()["incidentId"]

    def posted(self, incident_id: str, channel: str = "alerts") -> dict:
        """The incident's message in `channel`, once posted."""
        found = wait_for(lambda: next((m for m in self.messages(channel) if incident_id in json.dumps(m.get("attachments", []))), None))
        assert found, f"incident {incident_id} was never posted to #{channel}"
        return found


class Raw:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def raw(method: str, port: int, path: str, body: bytes | None, headers: dict) -> Raw:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers, method=method)
    try:
        with harness.OPENER.open(request, timeout=15) as resp:
            return Raw(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Raw(err.code, err.headers, err.read())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)


def get_no_redirect(url: str, token: str | None = None, cookie: str | None = None) -> Raw:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if cookie:
        headers["Cookie"] = cookie
    try:
        with NO_REDIRECT.open(urllib.request.Request(url, headers=headers), timeout=15) as resp:
            return Raw(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Raw(err.code, err.headers, err.read())


def wait_for(condition, timeout: float = WAIT):
    """Polls `condition` every 0.1 s until it returns something truthy (returned) or `timeout` passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture(scope="module")
def app(herald_bin, tmp_path_factory):
    cwd = tmp_path_factory.mktemp("slack-app")
    port = free_port()
    env = herald_env(HERALD_SLACK_SIGNING_SECRET=SIGNING_SECRET, HERALD_SLACK_CLIENT_ID=CLIENT_ID,
                     HERALD_SLACK_CLIENT_SECRET=CLIENT_SECRET, HERALD_ADMIN_EMAIL="admin@example.com",
                     HERALD_ADMIN_TOKEN=ADMIN_TOKEN, HERALD_UPDATE_INTERVAL="1")
    server = HeraldServer(herald_bin, cwd, env, port, args=["serve", "--sandbox", "--port", str(port)], name="herald-slack-app")
    try:
        server.wait_healthy()
        deadline = time.monotonic() + BANNER_TIMEOUT
        banner = ""
        while time.monotonic() < deadline:
            banner = server.stdout_path.read_bytes().decode("utf-8", "replace")
            if re.search(r"^\s*curl .*/settings/slack/test\s*$", banner, re.M):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"no sandbox banner within {BANNER_TIMEOUT:.0f} s\n{server.logs()}")
        yield App(server, banner)
    finally:
        server.stop()


def action(app: App, user: str, action_id: str, incident_id: str, message: dict, value: str | None = None,
           selected: str | None = None, team: str = TEAM, action_ts: str | None = None) -> dict:
    """A block_actions payload as Slack sends it for a click in `message`."""
    element = {"action_id": action_id, "block_id": f"incident:{incident_id}", "type": "static_select" if selected else "button",
               "action_ts": action_ts or f"{time.time():.6f}"}
    if selected:
        element["selected_option"] = {"value": selected, "text": {"type": "plain_text", "text": selected}}
    else:
        element["value"] = value or incident_id
    return {"type": "block_actions", "team": {"id": team, "domain": "herald-sandbox"}, "user": {"id": user, "team_id": team},
            "api_app_id": "A0HERALD", "trigger_id": app.trigger_id(user),
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": message["channel"]},
            "channel": {"id": message["channel"]}, "response_url": app.response_url(message["channel"], user),
            "actions": [element]}


def summaries(app: App, incident_id: str) -> list[str]:
    return [t["summary"] for t in app.incident(incident_id)["timeline"]]


# --- verification ----------------------------------------------------------------------------------


def test_bad_signature_stale_timestamp_and_replay_are_401_and_change_nothing(app):
    incident = app.trigger("sig-1", "Signature probe")
    message = app.posted(incident)
    payload = action(app, "U0ALICE", "incident.acknowledge", incident, message)
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    now = int(time.time())
    old = str(now - 400)
    cases = {
        "wrong secret": app.interaction(payload, secret="not-the-signing-secret"),
        "stale timestamp": app.interaction(payload, timestamp=now - 400),
        "future timestamp": app.interaction(payload, timestamp=now + 400),
        "no signature": raw("POST", app.port, "/slack/interactions", body.encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(now)}),
        # A captured request replayed later: its old timestamp with its own valid signature.
        "replay": app.signed("/slack/interactions", body, "application/x-www-form-urlencoded", timestamp=int(old)),
        # The same signature under a fresh timestamp no longer matches.
        "re-stamped": app.signed("/slack/interactions", body, "application/x-www-form-urlencoded",
                                 signature=app.verifier.generate_signature(timestamp=old, body=body)),
        "tampered body": app.signed("/slack/interactions", body.replace("acknowledge", "resolve"), "application/x-www-form-urlencoded",
                                    signature=app.verifier.generate_signature(timestamp=str(now), body=body), timestamp=now),
        "command": app.command({"command": "/create_incident"}, secret="wrong"),
        "event": app.event({"type": "url_verification", "challenge": "x"}, secret="wrong"),
    }
    for name, resp in cases.items():
        assert resp.status == 401, f"{name}: {resp}"
        assert resp.headers["Content-Type"].startswith("application/problem+json"), name
    time.sleep(1)  # anything an accepted request would have done afterwards has had its time
    assert app.incident(incident)["status"] == "triggered"
    assert app.ephemerals(message["channel"], "U0ALICE") == []
    ok = app.event({"type": "url_verification", "token": "x", "challenge": "3eZbrw1aBmu"})
    assert ok.status == 200 and ok.json() == {"challenge": "3eZbrw1aBmu"}


# --- actions -----------------------------------------------------------------------------------------


def test_each_action_updates_herald_and_the_message(app):
    incident = app.trigger("act-1", "Database latency high")
    message = app.posted(incident)
    assert "incident.acknowledge" in json.dumps(message["attachments"])
    assert app.interaction(action(app, "U0ALICE", "incident.acknowledge", incident, message)).status == 200
    assert wait_for(lambda: app.incident(incident)["status"] == "acknowledged")
    assert wait_for(lambda: next(m for m in app.messages("alerts") if m["ts"] == message["ts"])["attachments"][0]["color"] == "#F5A623")
    assert app.interaction(action(app, "U0ALICE", "incident.reassign", incident, message, selected="demo@herald.local")).status == 200
    assert wait_for(lambda: app.incident(incident).get("assignee") == "demo@herald.local")
    assert app.interaction(action(app, "U0DEMO", "incident.resolve", incident, message)).status == 200
    assert wait_for(lambda: app.incident(incident)["status"] == "resolved")
    final = wait_for(lambda: next((m for m in app.messages("alerts") if m["ts"] == message["ts"]
                                   and m["attachments"][0]["color"] == "#2E7D32"), None))
    assert final, "the message never turned green"
    assert "incident.resolve" not in json.dumps(final["attachments"]), "a resolved message keeps no buttons"
    assert summaries(app, incident) == [
        "Triggered: Database latency high", "Acknowledged by alice@example.com via Slack",
        "Reassigned to demo@herald.local by alice@example.com via Slack", "Resolved by demo@herald.local via Slack"]
    assert app.ephemerals(message["channel"], "U0ALICE") == [] and app.ephemerals(message["channel"], "U0DEMO") == []


@pytest.mark.parametrize("user,text", [("U0CAROL", NOT_LINKED), ("U0ZED", NOT_MEMBER), ("U0BOB", STAKEHOLDER)])
def test_each_refusal_is_told_to_whoever_clicked(app, user, text):
    if user == "U0ZED":
        # A Herald user of another organization only.
        org = http("POST", app.port, "/api/v1/orgs", token=ADMIN_TOKEN, body={"name": f"Elsewhere {time.time()}"})
        assert org.status == 201, org
        member = http("POST", app.port, f"/api/v1/orgs/{org.json()['id']}/members", token=ADMIN_TOKEN,
                      body={"email": "zed@example.org", "name": "Zed", "role": "owner"})
        assert member.status in (201, 409), member
        app.control("POST", "users", {"id": "U0ZED", "name": "zed", "email": "zed@example.org"}, status=201)
    incident = app.trigger(f"refuse-{user}", f"Refusal probe {user}")
    message = app.posted(incident)
    assert app.interaction(action(app, user, "incident.acknowledge", incident, message)).status == 200
    told = wait_for(lambda: app.ephemerals(message["channel"], user))
    assert told == [text]
    assert app.incident(incident)["status"] == "triggered"
    assert summaries(app, incident) == [f"Triggered: Refusal probe {user}"]


def test_a_second_workspace_cannot_act_on_this_organizations_incident(app):
    incident = app.trigger("other-ws", "Cross-workspace probe")
    message = app.posted(incident)
    assert app.interaction(action(app, "U0ALICE", "incident.resolve", incident, message, team="T0ELSEWHERE")).status == 200
    assert wait_for(lambda: app.ephemerals(message["channel"], "U0ALICE")) == [NOT_MEMBER]
    assert app.incident(incident)["status"] == "triggered"


def test_a_slack_retry_is_applied_once(app):
    incident = app.trigger("retry-1", "Retry probe")
    message = app.posted(incident)
    payload = action(app, "U0ALICE", "incident.reassign", incident, message, selected="alice@example.com", action_ts="1796550000.424242")
    for retry in (None, 1, 2):
        assert app.interaction(payload, retry=retry).status == 200
    assert wait_for(lambda: app.incident(incident).get("assignee") == "alice@example.com")
    time.sleep(1)
    assert [s for s in summaries(app, incident) if s.startswith("Reassigned")] == [
        "Reassigned to alice@example.com by alice@example.com via Slack"]


def test_the_sandbox_page_sends_signed_clicks_as_slack_does(app):
    incident = app.trigger("page-1", "Clicked on the sandbox page")
    message = app.posted(incident)
    form = urllib.parse.urlencode({"channel": message["channel"], "ts": message["ts"], "as": "U0ALICE", "action_id": "incident.acknowledge",
                                   "block_id": f"incident:{incident}", "value": incident}).encode()
    resp = raw("POST", app.port, "/sandbox/act", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status in (200, 303), resp
    assert wait_for(lambda: app.incident(incident)["status"] == "acknowledged")
    page = raw("GET", app.port, f"/sandbox?channel={message['channel']}&as=U0ALICE", None, {})
    assert b'action="/sandbox/act"' in page.body and b"/create_incident" in page.body


# --- the modal ---------------------------------------------------------------------------------------


def command_fields(app: App, user: str, channel: str) -> dict:
    return {"token": "x", "team_id": TEAM, "team_domain": "herald-sandbox", "channel_id": channel, "user_id": user,
            "command": "/create_incident", "text": "", "api_app_id": "A0HERALD", "trigger_id": app.trigger_id(user),
            "response_url": app.response_url(channel, user)}


def submission(view: dict, user: str, values: dict) -> dict:
    state = {}
    for block in view["blocks"]:
        element = block["element"]
        value = values.get(block["block_id"])
        if element["type"] == "static_select":
            state[block["block_id"]] = {element["action_id"]: {"type": "static_select",
                                                               "selected_option": {"value": value} if value else None}}
        else:
            state[block["block_id"]] = {element["action_id"]: {"type": "plain_text_input", "value": value}}
    submitted = dict(view, state={"values": state}, hash=f"{time.time()}")
    return {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM}, "view": submitted}


def test_create_incident_modal_validates_and_creates(app):
    channel = app.channel_id("alerts")
    before = len(app.control("GET", "views")["views"])
    resp = app.command(command_fields(app, "U0ALICE", channel))
    assert resp.status == 200 and not resp.body.strip(), resp
    views = app.control("GET", "views")["views"]
    assert len(views) == before + 1
    view = views[-1]
    assert view["callback_id"] == "create_incident"
    assert [b["block_id"] for b in view["blocks"]] == ["service", "title", "description", "severity"]
    service = next(o["value"] for o in view["blocks"][0]["element"]["options"] if o["text"]["text"].endswith("Checkout"))
    missing = app.interaction(submission(view, "U0ALICE", {"service": service, "title": ""}))
    assert missing.status == 200 and missing.json() == {"response_action": "errors", "errors": {"title": "Enter a title for the incident."}}
    created = app.interaction(submission(view, "U0ALICE", {"service": service, "title": "Checkout returns 502",
                                                          "description": "Seen by support", "severity": "critical"}))
    assert created.status == 200 and not created.body.strip(), created
    listed = http("GET", app.port, f"/api/v1/projects/{app.project}/incidents", token=app.token).json()
    opened = [i for i in listed if i["title"] == "Checkout returns 502"]
    assert len(opened) == 1 and opened[0]["severity"] == "critical" and opened[0]["service"] == "Checkout"
    assert app.posted(opened[0]["id"])
    # A stakeholder's command is answered with the refusal, and opens nothing.
    refused = app.command(command_fields(app, "U0BOB", channel))
    assert refused.status == 200 and refused.json() == {"response_type": "ephemeral", "replace_original": False, "text": STAKEHOLDER}
    assert len(app.control("GET", "views")["views"]) == before + 1


def test_the_modal_opens_while_thousands_of_deliveries_wait(app):
    """Interactive calls are not queued behind the outbox: with 3,000 deliveries pending (50 channels
    paced at one message a second), `views.open` still happens within its trigger's 3 seconds (the
    sandbox refuses an expired trigger as Slack does)."""
    names = [f"load-{n}" for n in range(50)]
    for name in names:
        app.control("POST", "channels", {"name": name}, status=201)
    org_settings = http("GET", app.port, f"/api/v1/projects/{app.project}/settings/slack", token=app.token).json()
    put = http("PUT", app.port, f"/api/v1/projects/{app.project}/settings/slack", token=app.token,
               body={"channels": " ".join("#" + n for n in names)})
    assert put.status == 200, put
    try:
        for n in range(60):
            resp = http("POST", app.port, "/api/v1/events", token=app.event_key, body={"type": "notification", "title": f"load {n}"})
            assert resp.status == 202, resp
        backlog = http("GET", app.port, f"/api/v1/deliveries?state=pending&project={app.project}", token=app.token)
        assert backlog.status == 200 and len(backlog.json()) >= 100, backlog
        before = len(app.control("GET", "views")["views"])
        started = time.monotonic()
        resp = app.command(command_fields(app, "U0ALICE", app.channel_id("alerts")))
        elapsed = time.monotonic() - started
        assert resp.status == 200 and not resp.body.strip(), resp
        assert len(app.control("GET", "views")["views"]) == before + 1, "views.open did not happen in time"
        print(f"modal opened in {elapsed * 1000:.0f} ms with a backlog of pending deliveries")
    finally:
        http("PUT", app.port, f"/api/v1/projects/{app.project}/settings/slack", token=app.token,
             body={"channels": org_settings["channels"] or ["#alerts"]})


# --- Slack as an alert source ------------------------------------------------------------------------


def test_a_watched_channel_message_opens_one_incident(app):
    incidents_channel = app.channel_id("incidents")
    stored = app.control("POST", f"channels/{incidents_channel}/messages",
                         {"user": "U0ALICE", "text": "Payments failing in EU\ntrace follows", "notify": False}, status=201)
    envelope = {"token": "x", "team_id": TEAM, "api_app_id": "A0HERALD", "type": "event_callback", "event_id": "Ev0E2E0001",
                "event_time": int(time.time()),
                "event": {"type": "message", "channel": incidents_channel, "user": "U0ALICE", "text": "Payments failing in EU\ntrace follows",
                          "ts": stored["ts"], "team": TEAM, "channel_type": "channel"}}
    assert app.event(envelope).status == 200
    assert app.event(envelope, retry=1).status == 200
    assert app.event(envelope, retry=2).status == 200
    for n, extra in enumerate([{"thread_ts": "1700000000.000001"}, {"subtype": "message_changed"}, {"user": "U0HERALDBOT", "bot_id": "B0HERALD"},
                               {"team": "T0ELSEWHERE"}]):
        other = json.loads(json.dumps(envelope))
        other["event_id"] = f"Ev0E2EIGN{n}"
        other["event"]["ts"] = f"1700000001.00000{n}"
        other["event"].update(extra)
        assert app.event(other).status == 200

    def opened():
        listed = http("GET", app.port, f"/api/v1/projects/{app.project}/incidents", token=app.token).json()
        return [i for i in listed if i["key"].startswith(f"slack:{incidents_channel}:")]
    found = wait_for(opened)
    assert found and found[0]["title"] == "Payments failing in EU" and found[0]["service"] == "Checkout"
    assert found[0]["link"] == f"https://herald-sandbox.slack.com/archives/{incidents_channel}/p{stored['ts'].replace('.', '')}"
    time.sleep(1.5)
    assert len(opened()) == 1, opened()
    assert len(app.incident(found[0]["id"])["timeline"]) == 1, "Slack's retries added nothing"


# --- threads ------------------------------------------------------------------------------------------


def test_threaded_replies(app):
    put = http("PUT", app.port, f"/api/v1/projects/{app.project}/settings/slack", token=app.token, body={"threadUpdates": True})
    assert put.status == 200 and put.json()["effective"]["threadUpdates"] is True, put
    try:
        incident = app.trigger("thread-1", "Queue backlog")
        message = app.posted(incident)
        ack = http("POST", app.port, f"/api/v1/incidents/{incident}/acknowledge", token=app.token)
        assert ack.status == 200, ack
        resolve_after = wait_for(lambda: [m for m in app.messages("alerts") if m.get("threadTS") == message["ts"]])
        assert resolve_after, "no reply in the thread"
        http("POST", app.port, f"/api/v1/incidents/{incident}/resolve", token=app.token)
        replies = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(
            [m for m in app.messages("alerts") if m.get("threadTS") == message["ts"]]))
        assert replies and [r["text"] for r in replies] == ["Acknowledged by demo@herald.local", "Resolved by demo@herald.local"], replies
        parent = next(m for m in app.messages("alerts") if m["ts"] == message["ts"])
        assert parent["attachments"][0]["color"] == "#2E7D32" and parent["edits"] >= 2
        time.sleep(2)
        assert len([m for m in app.messages("alerts") if m.get("threadTS") == message["ts"]]) == 2, "a reply was doubled"
        # Replies obey the channel's pacing: one message a second in the channel, replies included.
        times = sorted([m["receivedAt"] for m in app.messages("alerts") if m.get("threadTS") == message["ts"]] + parent["updatedAt"])
        assert all(b - a >= 0.95 for a, b in zip(times, times[1:])), times
    finally:
        http("PUT", app.port, f"/api/v1/projects/{app.project}/settings/slack", token=app.token, body={"threadUpdates": None})


# --- install, channels, revoke (last: they change the installation) -----------------------------------------


def test_channel_picker_reads_every_page_with_a_429_in_the_middle(app):
    for n in range(230):
        app.control("POST", "channels", {"name": f"page-{n:03d}"}, status=201)
    app.control("POST", "channels", {"name": "archived-x", "isArchived": True}, status=201)
    app.control("POST", "channels", {"name": "private-in", "isPrivate": True, "botIsMember": True}, status=201)
    app.control("POST", "channels", {"name": "private-out", "isPrivate": True, "botIsMember": False}, status=201)
    # The 429 comes in the middle of the list: on its second page of 200.
    resp = http("POST", app.port, "/sandbox/control/faults",
                body={"kind": "rateLimited", "method": "conversations.list", "count": 1, "retryAfter": 1, "after": 1})
    assert resp.status == 204, resp
    started = time.monotonic()
    listed = http("GET", app.port, f"/api/v1/orgs/{app.org}/slack/channels?refresh=true", token=app.token)
    assert listed.status == 200, listed
    assert time.monotonic() - started >= 1.0, "the 429's Retry-After was not waited out"
    names = {c["name"] for c in listed.json()}
    assert {f"page-{n:03d}" for n in range(230)} <= names
    assert "private-in" in names and "private-out" not in names and "archived-x" not in names
    assert all(set(c) == {"id", "name", "isPrivate"} for c in listed.json())


def test_oauth_install_bad_states_and_revoke(app):
    base = f"http://127.0.0.1:{app.port}"

    def link(org: str, token: str) -> dict:
        """The install link's query, and the cookie that binds it to this browser (as `_cookie`)."""
        resp = get_no_redirect(f"{base}/slack/install?org={org}", token)
        assert resp.status in (302, 303), resp
        location = urllib.parse.urlsplit(resp.headers["Location"])
        assert location.path == "/sandbox/oauth/v2/authorize", location
        cookie = resp.headers["Set-Cookie"]
        assert cookie.startswith("herald_slack_install=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        return dict(urllib.parse.parse_qsl(location.query), _cookie=cookie.split(";")[0])

    def authorize(query: dict, decision: str = "allow", cookie: str | None = "same") -> Raw:
        form = urllib.parse.urlencode({"redirect_uri": query["redirect_uri"], "state": query["state"], "scope": query["scope"],
                                       "decision": decision}).encode()
        request = urllib.request.Request(f"{base}/sandbox/oauth/v2/authorize", data=form, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            NO_REDIRECT.open(request, timeout=15)
        except urllib.error.HTTPError as err:
            assert err.code in (302, 303), err
            return get_no_redirect(err.headers["Location"], cookie=query["_cookie"] if cookie == "same" else cookie)
        raise AssertionError("the authorize page did not redirect")

    def installation(org: str) -> dict:
        return http("GET", app.port, f"/api/v1/orgs/{org}/slack/installation", token=app.token if org == app.org else ADMIN_TOKEN).json()

    # Only admins get a link.
    assert get_no_redirect(f"{base}/slack/install?org={app.org}").status == 401
    first = link(app.org, app.token)
    assert first["client_id"] == CLIENT_ID
    assert first["scope"].split(",") == ["chat:write", "chat:write.public", "channels:read", "groups:read", "users:read",
                                         "users:read.email", "commands", "channels:history"]
    # A tampered state, a denied consent, a replayed state, a failing exchange: an error page, nothing stored.
    tampered = dict(first, state=first["state"][:-1] + ("0" if first["state"][-1] != "0" else "1"))
    assert authorize(dict(first, _cookie="herald_slack_install=forged")).status == 400
    assert authorize(tampered).status == 400
    denied = authorize(link(app.org, app.token), decision="deny")
    assert denied.status == 400 and b"access_denied" in denied.body
    happy = link(app.org, app.token)
    done = authorize(happy)
    assert done.status == 200 and b"Herald Sandbox" in done.body, done
    replayed = get_no_redirect(f"{base}/slack/oauth/callback?code=anything&state={urllib.parse.quote(happy['state'])}", cookie=happy["_cookie"])
    assert replayed.status == 400 and b"already used" in replayed.body
    # The link opened in another browser (no cookie): nothing installed, nothing spent.
    elsewhere = link(app.org, app.token)
    assert authorize(elsewhere, cookie=None).status == 400
    assert authorize(elsewhere).status == 200, "the admin's own browser still completes it"
    bad_code = link(app.org, app.token)
    failed = get_no_redirect(f"{base}/slack/oauth/callback?code=never-issued&state={urllib.parse.quote(bad_code['state'])}",
                             cookie=bad_code["_cookie"])
    assert failed.status == 400 and b"invalid_code" in failed.body
    state = installation(app.org)
    assert state["installed"] is True and state["teamID"] == TEAM and state["interactive"] is True
    assert "xoxb" not in json.dumps(state)
    # Another organization cannot take the workspace.
    other = http("POST", app.port, "/api/v1/orgs", token=ADMIN_TOKEN, body={"name": "Second org"}).json()["id"]
    taken = authorize(link(other, ADMIN_TOKEN))
    assert taken.status == 400 and b"already connected" in taken.body
    assert installation(other)["installed"] is False
    # Revoke: Slack forgets the token, Herald the installation; then the workspace is free for the other.
    revoked = http("DELETE", app.port, f"/api/v1/orgs/{app.org}/slack/installation", token=app.token)
    assert revoked.status == 204, revoked
    assert installation(app.org)["installed"] is False
    assert http("GET", app.port, f"/api/v1/orgs/{app.org}/settings/slack", token=app.token).json()["tokenConfigured"] is False
    moved = authorize(link(other, ADMIN_TOKEN))
    assert moved.status == 200, moved
    assert installation(other)["installed"] is True
