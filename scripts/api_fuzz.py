#!/usr/bin/env python3
"""Schemathesis against Herald's OpenAPI document, as part of `make test`.

Starts `herald serve --sandbox` on a throwaway SQLite database on a free loopback port, seeds an
organization, a project with Slack settings (on the sandbox), a service, an incident and event
keys, and runs schemathesis (PyPI) with every check but `ignored_auth`: status codes, content
types, headers and bodies must be what the document says, every schema-valid request must be
accepted and every schema-invalid one refused, unsupported methods answer 405 with Allow, deleted
things stay deleted. The run is reproducible (fixed seed, fixed number of examples, one worker, no
example database) and bounded in time. Exits non-zero on any failure.

    python3 scripts/api_fuzz.py --bin .build/debug/herald [--seed N] [--max-examples N] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ADMIN_TOKEN = "fuzz-admin-token-" + "0123456789abcdef" * 2
# swift-log's default format: "<timestamp> <level> <label>: …".
LOGGED_ERROR = re.compile(r"^\S+ (error|critical) ")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, body=None, token: str | None = ADMIN_TOKEN, expect: int | None = None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    try:
        with OPENER.open(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    if expect is not None and status != expect:
        raise SystemExit(f"seeding: {method} {path} answered {status}: {text[:500]}")
    return json.loads(text) if text else None


def seed(port: int) -> dict[str, str]:
    """What the run pins its parameters to."""
    bot = call(port, "POST", "/sandbox/control/bot-tokens", {}, token=None, expect=201)["token"]
    org = call(port, "POST", "/api/v1/orgs", {"name": "Fuzz"}, expect=201)["id"]
    project = call(port, "POST", f"/api/v1/orgs/{org}/projects", {"name": "Fuzz project"}, expect=201)["id"]
    service = call(port, "POST", f"/api/v1/projects/{project}/services", {"name": "api"}, expect=201)["id"]
    call(port, "PUT", f"/api/v1/projects/{project}/settings/slack", {"enabled": True, "token": bot, "channels": "#alerts"}, expect=200)
    call(port, "POST", f"/api/v1/orgs/{org}/members", {"email": "member@example.com", "role": "responder"}, expect=201)
    event_key = call(port, "POST", f"/api/v1/projects/{project}/keys", {"name": "fuzz"}, expect=201)["key"]
    spare_key = call(port, "POST", f"/api/v1/projects/{project}/keys", {"name": "spare"}, expect=201)["id"]
    spare_token = call(port, "POST", "/api/v1/me/tokens", {"name": "spare"}, expect=201)["id"]
    incident = call(port, "POST", f"/api/v1/projects/{project}/incidents", {"title": "Seeded incident", "service": "api"}, expect=201)["id"]
    return {"ORG": org, "PROJECT": project, "SERVICE": service, "EVENT_KEY": event_key, "SPARE_KEY": spare_key,
            "SPARE_TOKEN": spare_token, "INCIDENT": incident}


def config(values: dict[str, str], seed_value: int, max_examples: int) -> str:
    """schemathesis.toml: pinned ids, the event key where the document asks for one, and why each
    setting is there."""
    return f"""
seed = {seed_value}
workers = 1

[cache]
enabled = false

[generation]
database = "none"
max-examples = {max_examples}

[checks]
ignored_auth.enabled = false

[phases.coverage]
# Every method but HEAD (Herald answers HEAD wherever GET is) and QUERY (not an HTTP/1.1 method NIO parses).
unexpected-methods = ["get", "put", "post", "delete", "patch", "options", "trace"]

# No organization, project or incident is pinned: the run finds them through the document's links
# and the ids earlier answers returned (a pinned id would be sent even where the run means another,
# say the organization another step just created).

# Revoke spares, never the credentials the run itself uses.
[[operations]]
include-name = "DELETE /api/v1/projects/{{p}}/keys/{{id}}"
parameters = {{ "path.p" = "{values['PROJECT']}", "path.id" = "{values['SPARE_KEY']}" }}

[[operations]]
include-name = "DELETE /api/v1/me/tokens/{{id}}"
parameters = {{ "path.id" = "{values['SPARE_TOKEN']}" }}

# Event intake authenticates with a project event key, not the admin's token.
[[operations]]
include-name = "POST /api/v1/events"
headers = {{ Authorization = "Bearer {values['EVENT_KEY']}" }}

[[operations]]
include-name = "POST /api/v1/alertmanager"
headers = {{ Authorization = "Bearer {values['EVENT_KEY']}" }}
parameters = {{ "query.key" = "{values['EVENT_KEY']}" }}

[dictionaries]
routing_key = {{ values = ["{values['EVENT_KEY']}"] }}

# PagerDuty answers 400 "Invalid routing key" for a key it does not know, and so does Herald (the
# document says so); most requests carry the real key.
[[operations]]
include-name = "POST /v2/enqueue"
parameters = {{ "body.routing_key" = {{ dictionary = "routing_key", probability = 1.0 }} }}
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

# SPEC §3: a test message with incomplete settings is 422 naming what is missing, whatever the
# request; organizations made during the run have no settings.
[[operations]]
include-name = ["POST /api/v1/orgs/{{org}}/settings/slack/test", "POST /api/v1/projects/{{p}}/settings/slack/test"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

# Names are unique in a project (the generator repeats them: 422 on `name`), a rule names
# integrations of its project only (422 on `integrations[i]`), a change of sink type needs that
# type's settings, and a Slack integration without a token needs the project's to be tested.
[[operations]]
include-name = ["POST /api/v1/projects/{{p}}/integrations", "PATCH /api/v1/integrations/{{i}}", "POST /api/v1/integrations/{{i}}/test",
                "POST /api/v1/projects/{{p}}/alert-rules", "PATCH /api/v1/alert-rules/{{r}}"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

# The Slack app: an organization made during the run has no installation (409 says to install it
# first); the install link redirects; a callback with a made-up state is a 400 page; Slack's own
# endpoints refuse every unsigned request with 401 and change nothing.
[[operations]]
include-name = ["GET /api/v1/orgs/{{org}}/slack/channels", "PUT /api/v1/orgs/{{org}}/slack/installation",
                "DELETE /api/v1/orgs/{{org}}/slack/installation", "GET /slack/install"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "302", "401", "403", "404", "409", "422"]

[[operations]]
include-name = "GET /slack/oauth/callback"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400"]

[[operations]]
include-name = ["POST /slack/interactions", "POST /slack/commands", "POST /slack/events"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(Path(__file__).resolve().parent.parent / ".build/debug/herald"))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("HERALD_FUZZ_SEED", "8")))
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("HERALD_FUZZ_EXAMPLES", "25")))
    parser.add_argument("--timeout", type=float, default=240, help="seconds before the run is stopped and fails")
    args = parser.parse_args()
    if not shutil.which("schemathesis"):
        print("schemathesis is not installed (python3 -m pip install schemathesis)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="herald-fuzz-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    # Integrations the run creates name URLs the generator made up: every address is refused, so
    # Herald never resolves or reaches them (no test leaves loopback). Slack is the sandbox.
    env.update(HERALD_ADMIN_EMAIL="fuzz@example.com", HERALD_ADMIN_TOKEN=ADMIN_TOKEN, HERALD_CHANNEL_RATE="0",
               HERALD_OUTBOUND_DENY="0.0.0.0/0,::/0")
    log = open(work / "herald.log", "wb")
    server = subprocess.Popen([args.bin, "serve", "--sandbox", "--port", str(port)], cwd=work, env=env,
                              stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    status = 1
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(port, "GET", "/healthz", token=None)["status"] == "ok":
                    break
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                print((work / "herald.log").read_text()[-4000:], file=sys.stderr)
                raise SystemExit("herald did not start")
            time.sleep(0.2)
        values = seed(port)
        (work / "schemathesis.toml").write_text(config(values, args.seed, args.max_examples))
        command = ["schemathesis", "--config-file", str(work / "schemathesis.toml"), "run", f"http://127.0.0.1:{port}/openapi.json",
                   "-H", f"Authorization: Bearer {ADMIN_TOKEN}", "--exclude-checks", "ignored_auth",
                   "--wait-for-schema", "30", "--no-color", "--output-sanitize", "false"]
        print("+", " ".join(command), flush=True)
        started = time.monotonic()
        try:
            status = subprocess.run(command, cwd=work, timeout=args.timeout, env={**os.environ, "NO_COLOR": "1"}).returncode
        except subprocess.TimeoutExpired:
            print(f"schemathesis did not finish within {args.timeout:.0f} s", file=sys.stderr)
            status = 1
        print(f"schemathesis: exit {status} after {time.monotonic() - started:.0f} s (seed {args.seed}, "
              f"{args.max_examples} examples per operation)")
        if server.poll() is not None:
            print(f"herald exited during the run with {server.returncode}", file=sys.stderr)
            status = 1
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()
        logs = (work / "herald.log").read_text(errors="replace")
        # A request that made Herald log an error (or worse) is a failure even if its answer passed.
        logged = [line for line in logs.splitlines() if LOGGED_ERROR.search(line)]
        if logged:
            print("herald logged errors during the run:\n" + "\n".join(logged)[-3000:], file=sys.stderr)
            status = 1
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
