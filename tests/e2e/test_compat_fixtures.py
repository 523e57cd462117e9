"""The compatibility endpoints (SPEC §8) against payloads shaped exactly like the senders' own
documentation, kept as fixtures in tests/e2e/fixtures/:

- `pagerduty_trigger.json`, `pagerduty_acknowledge.json`, `pagerduty_resolve.json`: the PagerDuty
  Events API v2 examples (routing_key, event_action, dedup_key, payload{summary, source, severity,
  timestamp, component, group, class, custom_details}, links, images, client, client_url), sent to
  `POST /v2/enqueue` with the routing_key replaced by a Herald event key;
- `alertmanager_v4.json`: an Alertmanager webhook payload (version "4", groupKey, truncatedAlerts,
  status, receiver, groupLabels, commonLabels, commonAnnotations, externalURL, alerts with
  fingerprints), sent to `POST /api/v1/alertmanager`.

One `herald serve --sandbox` serves the module; its incidents are checked through the API and their
living messages in the sandbox's #alerts (red → amber → green, one message edited in place).
Every wait is bounded; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import REPO, HeraldServer, Response, free_port, herald_env, http, sandbox_messages, wait_for_banner, wait_until

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WAIT = 30.0  # seconds for an incident change to reach the sandbox

RED = "#D32F2F"
AMBER = "#F5A623"
GREEN = "#2E7D32"
PD_SUCCESS = {"status": "success", "message": "Event processed"}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


# --- the server ----------------------------------------------------------------------------------


class Herald:
    def __init__(self, server: HeraldServer):
        self.server = server
        self.port = server.port
        self.banner = wait_for_banner(server)
        self.key = self.banner.event_key
        self.token = self.banner.api_token
        self.project = self.banner.project_id

    def enqueue(self, body) -> Response:
        return http("POST", self.port, "/v2/enqueue", body=body)

    def post_raw(self, path: str, data: bytes, content_type: str = "application/json") -> Response:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method="POST",
                                     headers={"Content-Type": content_type, "Accept": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=10) as resp:
                return Response(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.headers, err.read())

    def incidents(self) -> list[dict]:
        resp = http("GET", self.port, f"/api/v1/projects/{self.project}/incidents", token=self.token)
        assert resp.status == 200, resp
        return resp.json()

    def incidents_with_key(self, key: str) -> list[dict]:
        return [i for i in self.incidents() if i["key"] == key]

    def incident(self, incident_id: str) -> dict:
        resp = http("GET", self.port, f"/api/v1/incidents/{incident_id}", token=self.token)
        assert resp.status == 200, resp
        return resp.json()

    def wait_incident(self, key: str, status: str) -> dict:
        def found():
            matching = [i for i in self.incidents_with_key(key) if i["status"] == status]
            return matching[0] if matching else None

        return wait_until(found, WAIT, f"an incident with key {key!r} in status {status!r}",
                          on_timeout=lambda: f"{self.incidents_with_key(key)}\n{self.server.logs()}")

    def wait_message(self, incident_id: str, color: str) -> dict:
        """The incident's message in #alerts once it shows `color`."""
        def shown():
            refs = [m for m in self.incident(incident_id).get("messages") or [] if m.get("ts")]
            if not refs:
                return None
            ts = refs[0]["ts"]
            for m in sandbox_messages(self.port, "#alerts"):
                if m["ts"] == ts and (m.get("attachments") or [{}])[0].get("color") == color:
                    return m
            return None

        return wait_until(shown, WAIT, f"incident {incident_id}'s message to turn {color}",
                          on_timeout=lambda: f"{self.incident(incident_id)}\n{self.server.logs()}")


@pytest.fixture(scope="module")
def herald(herald_bin, tmp_path_factory):
    cwd = tmp_path_factory.mktemp("compat")
    port = free_port()
    server = HeraldServer(herald_bin, cwd, herald_env(HERALD_CHANNEL_RATE="0"), port,
                          args=["serve", "--sandbox", "--port", str(port)], name="herald-compat")
    try:
        yield Herald(server)
    finally:
        server.stop()


# --- PagerDuty Events API v2 -----------------------------------------------------------------------


def test_pagerduty_documented_trigger_acknowledge_resolve(herald):
    trigger = fixture("pagerduty_trigger.json")
    acknowledge = fixture("pagerduty_acknowledge.json")
    resolve = fixture("pagerduty_resolve.json")
    dedup = trigger["dedup_key"]
    assert acknowledge["dedup_key"] == resolve["dedup_key"] == dedup
    for body in (trigger, acknowledge, resolve):
        body["routing_key"] = herald.key

    resp = herald.enqueue(trigger)
    assert resp.status == 202, resp
    assert resp.json() == {**PD_SUCCESS, "dedup_key": dedup}, resp

    incident = herald.wait_incident(dedup, "triggered")
    payload = trigger["payload"]
    assert incident["title"] == payload["summary"], incident
    assert incident["severity"] == payload["severity"], incident
    for tag in ("source", "component", "group", "class"):
        assert incident["tags"].get(tag) == payload[tag], (tag, incident["tags"])
    # custom_details become the description, one `key: value` line each.
    assert "ping time: 1500ms" in (incident["description"] or ""), incident
    assert "load avg: 0.75" in (incident["description"] or ""), incident
    # payload.timestamp is when it happened.
    assert incident["openedAt"].startswith("2015-07-17T08:42:58"), incident

    red = herald.wait_message(incident["id"], RED)
    assert payload["summary"] in red["text"], red
    # The event's own link (links[0].href) is the message's link.
    assert trigger["links"][0]["href"] in json.dumps(red["attachments"]), red["attachments"]

    resp = herald.enqueue(acknowledge)
    assert resp.status == 202, resp
    assert resp.json() == {**PD_SUCCESS, "dedup_key": dedup}, resp
    herald.wait_incident(dedup, "acknowledged")
    amber = herald.wait_message(incident["id"], AMBER)
    assert amber["ts"] == red["ts"] and amber["edits"] >= 1, amber

    resp = herald.enqueue(resolve)
    assert resp.status == 202, resp
    assert resp.json() == {**PD_SUCCESS, "dedup_key": dedup}, resp
    done = herald.wait_incident(dedup, "resolved")
    assert done["id"] == incident["id"]
    green = herald.wait_message(incident["id"], GREEN)
    assert green["ts"] == red["ts"] and green["edits"] >= 2, green
    assert len(herald.incidents_with_key(dedup)) == 1


def test_pagerduty_trigger_without_dedup_key_returns_a_usable_one(herald):
    trigger = fixture("pagerduty_trigger.json")
    trigger["routing_key"] = herald.key
    del trigger["dedup_key"]
    trigger["payload"]["summary"] = f"No dedup key {uuid.uuid4().hex[:8]}"
    before = {i["key"] for i in herald.incidents()}

    resp = herald.enqueue(trigger)
    assert resp.status == 202, resp
    body = resp.json()
    dedup = body.get("dedup_key")
    assert isinstance(dedup, str) and dedup, body
    assert {k: v for k, v in body.items() if k != "dedup_key"} == PD_SUCCESS, body
    assert dedup not in before

    incident = herald.wait_incident(dedup, "triggered")
    assert incident["title"] == trigger["payload"]["summary"], incident

    # A second trigger without a key is a new alert (a new generated key).
    again = herald.enqueue(trigger)
    assert again.status == 202, again
    assert again.json()["dedup_key"] != dedup, again

    resolve = fixture("pagerduty_resolve.json")
    resolve["routing_key"] = herald.key
    resolve["dedup_key"] = dedup
    resp = herald.enqueue(resolve)
    assert resp.status == 202, resp
    assert resp.json() == {**PD_SUCCESS, "dedup_key": dedup}, resp
    herald.wait_incident(dedup, "resolved")


def _without_severity(body: dict) -> dict:
    del body["payload"]["severity"]
    return body


def _bad_action(body: dict) -> dict:
    body["event_action"] = "explode"
    return body


def _bad_routing_key(body: dict) -> dict:
    body["routing_key"] = "R0UT1NGKEYTHATDOESNOTEXIST000000"
    return body


@pytest.mark.parametrize("change", [_without_severity, _bad_action, _bad_routing_key, None],
                         ids=["missing-payload-severity", "bad-event-action", "bad-routing-key", "malformed-json"])
def test_pagerduty_invalid_events_are_refused_and_open_nothing(herald, change):
    body = fixture("pagerduty_trigger.json")
    body["routing_key"] = herald.key
    body["dedup_key"] = f"invalid-{uuid.uuid4().hex}"
    before = herald.incidents()

    if change is None:
        data = json.dumps(body).encode()[:-25]  # cut off in the middle: not JSON
        resp = herald.post_raw("/v2/enqueue", data)
    else:
        resp = herald.enqueue(change(body))

    assert resp.status == 400, resp
    answer = resp.json()
    assert answer.get("status") == "invalid event", answer
    assert isinstance(answer.get("message"), str) and answer["message"], answer
    errors = answer.get("errors")
    assert isinstance(errors, list) and errors and all(isinstance(e, str) and e for e in errors), answer
    assert "dedup_key" not in answer, answer

    after = herald.incidents()
    assert [i["id"] for i in after] == [i["id"] for i in before], "an invalid event opened an incident"
    assert not herald.incidents_with_key(body["dedup_key"])


# --- Alertmanager webhook, version 4 -----------------------------------------------------------------


def test_alertmanager_documented_payload_fires_and_resolves_by_fingerprint(herald):
    firing = fixture("alertmanager_v4.json")
    assert firing["version"] == "4" and firing["status"] == "firing"
    alerts = firing["alerts"]
    assert len({a["fingerprint"] for a in alerts}) == len(alerts) >= 2

    resp = http("POST", herald.port, "/api/v1/alertmanager", token=herald.key, body=firing)
    assert resp.status in (200, 202), resp

    opened = {}
    for alert in alerts:
        key = f"alertmanager:{alert['fingerprint']}"
        incident = herald.wait_incident(key, "triggered")
        assert incident["title"] == alert["annotations"]["summary"], incident
        assert incident["severity"] == alert["labels"]["severity"], incident
        assert incident["description"] == alert["annotations"]["description"], incident
        assert incident["tags"].get("instance") == alert["labels"]["instance"], incident
        # startsAt (with Go's nanoseconds and a +01:00 offset) is when it started.
        assert incident["openedAt"].startswith("2024-03-07T08:5"), incident
        opened[key] = incident
        herald.wait_message(incident["id"], RED)

    # The same payload again, resolved: each incident is resolved, not re-opened.
    resolved = copy.deepcopy(firing)
    resolved["status"] = "resolved"
    for alert in resolved["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2024-03-07T10:05:00.000000001+01:00"
    resp = http("POST", herald.port, "/api/v1/alertmanager", token=herald.key, body=resolved)
    assert resp.status in (200, 202), resp

    for key, incident in opened.items():
        done = herald.wait_incident(key, "resolved")
        assert done["id"] == incident["id"], (done, incident)
        assert done["resolvedAt"].startswith("2024-03-07T09:05:00"), done
        herald.wait_message(incident["id"], GREEN)
        assert len(herald.incidents_with_key(key)) == 1


# --- the documented payloads are valid by Herald's own OpenAPI document ----------------------------

def _document_validator(schema_name: str):
    """A JSON Schema validator for one of the document's components (with its $refs), the way
    schemathesis judges requests: jsonschema-rs, formats checked."""
    import jsonschema_rs  # installed with schemathesis

    document = json.loads((REPO / "Sources" / "HeraldServer" / "Resources" / "openapi.json").read_text())
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    return jsonschema_rs.validator_for(schema, validate_formats=True)


@pytest.mark.parametrize("name, schema", [
    ("pagerduty_trigger.json", "PagerDutyEvent"), ("pagerduty_acknowledge.json", "PagerDutyEvent"),
    ("pagerduty_resolve.json", "PagerDutyEvent"), ("alertmanager_v4.json", "AlertmanagerWebhook"),
])
def test_documented_payloads_are_valid_by_the_openapi_document(name, schema):
    """PagerDuty's and Alertmanager's own example payloads must be ones the document allows: the
    document describes what Herald accepts, and Herald accepts these (the tests above)."""
    validator = _document_validator(schema)
    body = fixture(name)
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, f"{name} is not a valid {schema} by openapi.json: {errors[:5]}"
