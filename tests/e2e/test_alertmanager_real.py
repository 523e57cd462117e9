"""A real Prometheus Alertmanager sending to Herald (SPEC §8 compatibility endpoints, §2 living
messages): Alertmanager's own webhook notifier posts to `POST /api/v1/alertmanager?key=<event key>`.

`herald serve --sandbox` runs with its Slack sandbox; Debian's `prometheus-alertmanager` (installed
here with apt-get when it is missing; the test fails if it cannot be) runs on a free loopback port
with one route to a webhook receiver pointing at Herald, 1 s group wait/interval, send_resolved.
An alert posted to Alertmanager's API v2 becomes a Herald incident (title from the summary
annotation, severity from the label, keyed by Alertmanager's fingerprint) and a red message in
#alerts; the same alert posted again with `endsAt` in the past resolves the incident and turns
the same message green.

Every wait is bounded; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import urllib.error

import pytest

from conftest import free_port, herald_env, http, sandbox_messages, wait_for_banner, wait_until

ALERTMANAGER_PACKAGE = "prometheus-alertmanager"
ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager"
INSTALL_TIMEOUT = 600.0
READY_TIMEOUT = 30.0
DELIVERY_TIMEOUT = 30.0  # Alertmanager waits 1 s to group, Herald sends at once
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")

RED = "#D32F2F"
GREEN = "#2E7D32"


def _installed() -> bool:
    return os.path.isfile(ALERTMANAGER_BIN) and os.access(ALERTMANAGER_BIN, os.X_OK)


@pytest.fixture(scope="session")
def alertmanager_bin() -> str:
    """Debian's Alertmanager, installed with apt-get when missing (idempotent; needs root)."""
    if _installed():
        return ALERTMANAGER_BIN
    if os.geteuid() != 0:
        pytest.fail(f"{ALERTMANAGER_BIN} is missing and this is not root, so it cannot be installed: "
                    f"run `apt-get install -y {ALERTMANAGER_PACKAGE}` as root", pytrace=False)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    outputs = []
    # The package lists may be missing or stale on a fresh machine: update only if a plain install fails.
    for commands in ([["apt-get", "install", "-y", "-q", ALERTMANAGER_PACKAGE]],
                     [["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", ALERTMANAGER_PACKAGE]]):
        for command in commands:
            try:
                result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                        timeout=INSTALL_TIMEOUT)
                outputs.append(f"$ {' '.join(command)} -> {result.returncode}\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
                if result.returncode != 0:
                    break
            except (OSError, subprocess.TimeoutExpired) as err:
                outputs.append(f"$ {' '.join(command)} -> {err!r}")
                break
        if _installed():
            return ALERTMANAGER_BIN
    pytest.fail(f"could not install {ALERTMANAGER_PACKAGE} ({ALERTMANAGER_BIN} still missing):\n" + "\n".join(outputs),
                pytrace=False)


class Alertmanager:
    def __init__(self, binary: str, workdir, webhook_url: str):
        self.port = free_port()
        self.workdir = workdir
        config = {
            "route": {
                "receiver": "herald",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [{
                "name": "herald",
                "webhook_configs": [{"url": webhook_url, "send_resolved": True}],
            }],
        }
        # YAML is a superset of JSON.
        self.config_path = workdir / "alertmanager.yml"
        self.config_path.write_text(json.dumps(config, indent=2))
        (workdir / "data").mkdir()
        self.log_path = workdir / "alertmanager.log"
        self._log = open(self.log_path, "wb")
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
        self.proc = subprocess.Popen(
            [binary, f"--config.file={self.config_path}", f"--storage.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=debug"],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)

    def logs(self, limit: int = 6000) -> str:
        text = self.log_path.read_bytes().decode("utf-8", "replace")
        return f"--- alertmanager log (last {limit} chars) ---\n{text[-limit:]}"

    def wait_ready(self) -> None:
        def ready():
            if self.proc.poll() is not None:
                pytest.fail(f"alertmanager exited with {self.proc.returncode}\n{self.logs()}")
            try:
                return http("GET", self.port, "/-/ready", timeout=2.0).status == 200
            except (OSError, urllib.error.URLError):
                return False

        wait_until(ready, READY_TIMEOUT, "alertmanager to be ready", on_timeout=self.logs)

    def post_alerts(self, alerts: list[dict]) -> None:
        resp = http("POST", self.port, "/api/v2/alerts", body=alerts)
        assert resp.status == 200, resp

    def alerts(self) -> list[dict]:
        resp = http("GET", self.port, "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true")
        assert resp.status == 200, resp
        return resp.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def _iso(t: datetime.datetime) -> str:
    return t.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_real_alertmanager_opens_and_resolves_an_incident(alertmanager_bin, tmp_path, start_server):
    herald_dir = tmp_path / "herald"
    herald_dir.mkdir()
    port = free_port()
    server = start_server(herald_dir, herald_env(HERALD_CHANNEL_RATE="0"), port=port,
                          args=["serve", "--sandbox", "--port", str(port)], name="herald")
    banner = wait_for_banner(server)

    am_dir = tmp_path / "alertmanager"
    am_dir.mkdir()
    am = Alertmanager(alertmanager_bin, am_dir,
                      f"http://127.0.0.1:{port}/api/v1/alertmanager?key={banner.event_key}")
    try:
        am.wait_ready()

        def diagnostics():
            return am.logs() + "\n" + server.logs()

        labels = {"alertname": "DiskFull", "severity": "critical", "instance": "db-1"}
        annotations = {"summary": "Disk almost full on db-1", "description": "/var is 97% full on db-1"}
        started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)
        am.post_alerts([{"labels": labels, "annotations": annotations, "startsAt": _iso(started),
                         "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=disk_used"}])

        stored = wait_until(lambda: [a for a in am.alerts() if a["labels"].get("alertname") == "DiskFull"],
                            READY_TIMEOUT, "alertmanager to hold the alert", on_timeout=diagnostics)
        fingerprint = stored[0]["fingerprint"]
        assert fingerprint

        def incidents():
            resp = http("GET", port, f"/api/v1/projects/{banner.project_id}/incidents", token=banner.api_token)
            assert resp.status == 200, resp
            return resp.json()

        opened = wait_until(incidents, DELIVERY_TIMEOUT, "Herald to open an incident from Alertmanager's webhook",
                            on_timeout=diagnostics)
        assert len(opened) == 1, opened
        incident = opened[0]
        assert incident["key"] == f"alertmanager:{fingerprint}", incident
        assert incident["title"] == "Disk almost full on db-1", incident
        assert incident["severity"] == "critical", incident
        assert incident["status"] == "triggered", incident
        assert incident["description"] == "/var is 97% full on db-1", incident
        assert incident["tags"].get("instance") == "db-1", incident

        first = wait_until(lambda: sandbox_messages(port, "#alerts"), DELIVERY_TIMEOUT,
                           "the incident's message in #alerts", on_timeout=diagnostics)
        assert len(first) == 1, first
        message = first[0]
        assert "Disk almost full on db-1" in message["text"], message
        assert message["attachments"][0]["color"] == RED, message

        # Resolved: the same alert with endsAt in the past.
        ended = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        am.post_alerts([{"labels": labels, "annotations": annotations, "startsAt": _iso(started),
                         "endsAt": _iso(ended), "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=disk_used"}])

        def resolved():
            resp = http("GET", port, f"/api/v1/incidents/{incident['id']}", token=banner.api_token)
            assert resp.status == 200, resp
            return resp.json() if resp.json()["status"] == "resolved" else None

        done = wait_until(resolved, DELIVERY_TIMEOUT, "Herald to resolve the incident", on_timeout=diagnostics)
        assert done["resolvedAt"], done

        def green():
            msgs = sandbox_messages(port, "#alerts")
            return msgs if msgs and msgs[0]["attachments"][0]["color"] == GREEN else None

        after = wait_until(green, DELIVERY_TIMEOUT, "the message to turn green", on_timeout=diagnostics)
        assert len(after) == 1, f"a second message was posted instead of updating the first: {after}"
        assert after[0]["ts"] == message["ts"], after
        assert after[0]["edits"] >= 1, after
        assert "RESOLVED" in after[0]["text"], after[0]["text"]
        # Still one incident: the resolve did not open a new one.
        assert [i["id"] for i in incidents()] == [incident["id"]]
    finally:
        am.stop()
