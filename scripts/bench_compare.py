#!/usr/bin/env python3
"""Herald against Prometheus Alertmanager on Alertmanager's own workload (`make bench-compare`;
a benchmark, not a test). Each run, on this machine, in one go:

  Slack      one `slack-sandbox` process (release build) that both post to with a bot token, so
             its CPU is nobody's; 200 channels per system.
  Herald     the release build on SQLite, pacing off (HERALD_CHANNEL_RATE=0), one project with
             200 services, each with its own channel; alerts go to POST /api/v1/alertmanager.
  Alertmanager  Debian's prometheus-alertmanager, routing each alert to its own group
             (group_by ['...'], group_wait 0s, group_interval 1s) and to the alert's channel through
             slack_configs with api_url = the sandbox's chat.postMessage and a Bearer bot token;
             alerts go to POST /api/v2/alerts.

  1. batched   10,000 alerts over 200 services/channels, in requests of 100, from 4 clients; then,
               once every trigger message arrived, the same alerts resolved the same way.
               Reported: alerts accepted/s, trigger messages delivered/s, trigger and resolve latency
               (request sent → the sandbox received the message; for Herald's resolve, its edit),
               CPU seconds of the system's process over the phase (and per alert), peak RSS.
  2. single    one alert per request from 32 clients (--single alerts, default 3,000): accepted/s,
               and CPU milliseconds per request until its message arrived. For Herald, twice: to the
               project with 200 services, and to a project with none (the service label is then
               ignored and the alert goes to the project's channel), in ABBA order --single-repeats
               times (default 2).

Every load is bounded (counts and deadlines); only 127.0.0.1 is used; every process is stopped at
the end. `--runs N` repeats the whole comparison (default 3) and reports each run and the range.

  3. fanout    Herald only: notifications that each go to 200 destinations, through integrations
               (--fanout-events per chunk, default 40), in ABBA order twice: to 200 `slack`
               integrations (one sink type), and to 50 `slack`, 50 `slack_webhook`, 50 `mattermost`
               and 50 signed `webhook` integrations (four sink types; the first three are received by
               the Slack sandbox, the webhooks by scripts/bench_receiver.py). Reported: deliveries/s
               of each (from the first request to the last message received) and their ratio, whose
               target is at least 0.9.

  python3 scripts/bench_compare.py [--runs 3] [--alerts 10000] [--single 3000] [--single-repeats 2] [--fanout-events 40] [--bin .build/release/herald]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import HOST, HeraldProcess, SlackSandboxProcess, herald_env, post_request, proc_cpu_seconds, proc_peak_rss_mib, request, send_all  # noqa: E402

SERVICES = 200
ID = re.compile(r"\b([ab]-\d{5})\b")


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def alert(i: int, prefix: str = "a", services: bool = True) -> dict:
    labels = {"alertname": "BenchAlert", "id": f"{prefix}-{i:05d}", "severity": "critical", "channel": f"ch-{i % SERVICES:03d}"}
    if services:
        labels["service"] = f"svc-{i % SERVICES:03d}"
    return {"labels": labels, "annotations": {"summary": f"alert {prefix}-{i:05d}"}}


def fingerprint(labels: dict) -> str:
    return hashlib.sha256(",".join(f"{k}={v}" for k, v in sorted(labels.items())).encode()).hexdigest()[:16]


class Poll:
    """Waits (bounded) for a condition, polling gently so the client costs the measured system little."""

    @staticmethod
    def until(check, timeout: float, every: float = 0.5) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(every)
        return check()


def metric(port: int, name: str, **labels: str) -> float:
    status, _, body = request("GET", port, "/metrics", timeout=30)
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith(name) and (len(line) > len(name) and line[len(name)] in "{ "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                try:
                    total += float(line.rsplit(" ", 1)[1])
                except ValueError:
                    pass
    return total


def messages_by_id(slack: SlackSandboxProcess, channels: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for channel in channels:
        for m in slack.messages(channel):
            found = ID.search(json.dumps(m.get("attachments") or []) + " " + m.get("text", ""))
            if found:
                out.setdefault(found.group(1), []).append(m)
    return out


# --- the two systems ---------------------------------------------------------------------------------------

class HeraldSystem:
    name = "herald"

    def database_url(self, work: Path) -> str:
        return f"sqlite://{work / 'herald.sqlite'}"

    def __init__(self, args, work: Path, slack: SlackSandboxProcess, bot: str, prefix: str):
        self.admin = "hrd_bench_" + secrets.token_urlsafe(24)
        self.bot = bot
        env = herald_env(HERALD_DATABASE_URL=self.database_url(work), HERALD_CHANNEL_RATE="0",
                         HERALD_SECRET_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
                         HERALD_SLACK_API_URL=slack.api_url, HERALD_ADMIN_EMAIL="bench@herald.local", HERALD_ADMIN_TOKEN=self.admin,
                         HERALD_PUBLIC_URL="http://herald.bench", LOG_LEVEL="warning")
        self.server = HeraldProcess(args.bin, work, env, name="herald")
        self.server.wait_healthy()
        self.pid = self.server.pid
        self.port = self.server.port
        self.channels = [f"{prefix}ch-{i:03d}" for i in range(SERVICES)]
        org = self.api("POST", "/api/v1/orgs", {"name": "Bench"})["id"]
        self.keys = {}
        for name, with_services in (("services", True), ("none", False)):
            project = self.api("POST", f"/api/v1/orgs/{org}/projects", {"name": f"Bench {name}"})["id"]
            self.api("PUT", f"/api/v1/projects/{project}/settings/slack",
                     {"enabled": True, "token": bot, "channels": f"#{self.channels[0]}"}, expect=200)
            if with_services:
                for i in range(SERVICES):
                    service = self.api("POST", f"/api/v1/projects/{project}/services", {"name": f"svc-{i:03d}"})["id"]
                    self.api("PUT", f"/api/v1/services/{service}/settings/slack", {"channel": f"#{self.channels[i]}"}, expect=200)
            self.keys[name] = self.api("POST", f"/api/v1/projects/{project}/keys", {"name": "bench"})["key"]

    def api(self, method: str, path: str, body=None, expect: int = 201):
        status, _, raw = request(method, self.port, path, token=self.admin, body=body)
        if status != expect:
            raise harness.HarnessError(f"{method} {path}: HTTP {status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def payload(self, alerts: list[dict], status: str, at: float, project: str = "services") -> bytes:
        body = {"version": "4", "status": status, "receiver": "herald", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                "externalURL": "http://alertmanager.bench", "alerts": [
                    {"status": status, "labels": a["labels"], "annotations": a["annotations"], "startsAt": iso(at),
                     "endsAt": iso(at) if status == "resolved" else "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.bench/graph",
                     "fingerprint": fingerprint(a["labels"])} for a in alerts]}
        return post_request(self.port, "/api/v1/alertmanager", json.dumps(body, separators=(",", ":")).encode(),
                            {"Authorization": f"Bearer {self.keys[project]}"})

    def delivered(self) -> float:
        return metric(self.port, "herald_delivery_attempts_total", state="sent")

    def accepted(self, result: dict) -> bool:
        return result["status"] == 200

    def stop(self):
        self.server.stop()


class HeraldPostgresSystem(HeraldSystem):
    """Herald's release build on PostgreSQL (the harness's throwaway cluster, fsync and synchronous
    commit on, pg_stat_statements loaded): no target yet; its figures, its PostgreSQL's CPU and its
    top statements say where the time goes."""

    name = "herald_postgres"
    cluster: "harness.PgCluster | None" = None

    def database_url(self, work: Path) -> str:
        if HeraldPostgresSystem.cluster is None:
            HeraldPostgresSystem.cluster = harness.PgCluster(fast=False, statements=True, max_connections=200).start()
        self.dbname = HeraldPostgresSystem.cluster.create_db("herald_compare")
        HeraldPostgresSystem.cluster.psql("postgres", "SELECT pg_stat_statements_reset()")
        return HeraldPostgresSystem.cluster.url(self.dbname)

    def postgres_cpu(self) -> float:
        pm = HeraldPostgresSystem.cluster.postmaster_pid()
        if not pm:
            return 0.0
        total = proc_cpu_seconds(pm)
        for path in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = path.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pm:
                    total += proc_cpu_seconds(int(path.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        return total

    def top_statements(self, limit: int = 8) -> list[dict]:
        out = HeraldPostgresSystem.cluster.psql("postgres", f"""
            SELECT calls, round(total_exec_time::numeric, 1), regexp_replace(left(query, 140), '\\s+', ' ', 'g')
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = '{self.dbname}' ORDER BY total_exec_time DESC LIMIT {limit}""")
        rows = []
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                rows.append({"calls": int(parts[0]), "total_ms": float(parts[1]), "query": parts[2]})
        return rows

    def stop(self):
        super().stop()
        HeraldPostgresSystem.cluster.drop_db(self.dbname)


class AlertmanagerSystem:
    name = "alertmanager"

    def __init__(self, args, work: Path, slack: SlackSandboxProcess, bot: str, prefix: str):
        binary = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
        if not os.access(binary, os.X_OK):
            raise harness.HarnessError("prometheus-alertmanager is not installed (apt-get install -y prometheus-alertmanager)")
        self.channels = [f"{prefix}ch-{i:03d}" for i in range(SERVICES)]
        config = f"""
global:
  resolve_timeout: 5m
route:
  receiver: slack
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 24h
receivers:
  - name: slack
    slack_configs:
      - api_url: {slack.api_url}/chat.postMessage
        channel: '#{prefix}{{{{ .CommonLabels.channel }}}}'
        send_resolved: true
        title: '{{{{ .Status }}}} {{{{ .CommonLabels.id }}}}'
        text: '{{{{ .CommonAnnotations.summary }}}}'
        http_config:
          authorization:
            type: Bearer
            credentials: {bot}
"""
        (work / "am.yml").write_text(config)
        self.port = harness.free_port()
        self.log = open(work / "alertmanager.log", "wb")
        self.proc = harness.Processes.spawn(
            [binary, f"--config.file={work / 'am.yml'}", f"--storage.path={work}", f"--web.listen-address={HOST}:{self.port}",
             "--cluster.listen-address="], cwd=work, stdin=harness.subprocess.DEVNULL, stdout=self.log, stderr=harness.subprocess.STDOUT)
        self.pid = self.proc.pid
        if not Poll.until(lambda: self._ready(), 30, 0.2):
            raise harness.HarnessError(f"alertmanager not ready: {(work / 'alertmanager.log').read_text()[-2000:]}")

    def _ready(self) -> bool:
        try:
            return request("GET", self.port, "/-/ready", timeout=2)[0] == 200
        except OSError:
            return False

    def payload(self, alerts: list[dict], status: str, at: float, project: str = "services") -> bytes:
        body = [{"labels": a["labels"], "annotations": a["annotations"], "startsAt": iso(at) if status == "firing" else iso(at - 600),
                 "generatorURL": "http://prometheus.bench/graph", **({"endsAt": iso(at)} if status == "resolved" else {})}
                for a in alerts]
        return post_request(self.port, "/api/v2/alerts", json.dumps(body, separators=(",", ":")).encode())

    def delivered(self) -> float:
        return metric(self.port, "alertmanager_notifications_total", integration="slack") - \
            metric(self.port, "alertmanager_notifications_failed_total", integration="slack")

    def accepted(self, result: dict) -> bool:
        return result["status"] == 200

    def stop(self):
        harness.Processes.stop(self.proc)
        self.log.close()


# --- one run -------------------------------------------------------------------------------------------------

#: The Slack emulator's process, whose CPU each phase reports too (it shares the machine's cores).
SLACK_PID: list[int] = []


def phase(system, requests: list[bytes], concurrency: int, expect_delivered: float, timeout: float) -> dict:
    """Sends the requests, waits for `expect_delivered` messages in all; CPU of the system's process
    (and of the Slack emulator) over both."""
    slack0 = proc_cpu_seconds(SLACK_PID[0]) if SLACK_PID else 0.0
    delivered0 = system.delivered()
    cpu0 = proc_cpu_seconds(system.pid)
    results = send_all(system.port, requests, concurrency, timeout=120, deadline=timeout)
    delivered_when_answered = system.delivered()
    ok = sum(1 for r in results if system.accepted(r))
    first = min(r["sent"] for r in results if r["sent"])
    answered = max(r["answered"] for r in results if r["answered"])
    done = Poll.until(lambda: system.delivered() >= expect_delivered, timeout)
    cpu1 = proc_cpu_seconds(system.pid)
    slack1 = proc_cpu_seconds(SLACK_PID[0]) if SLACK_PID else 0.0
    errors = [r["body"][:200].decode(errors="replace") for r in results if not system.accepted(r)][:3]
    return {"results": results, "ok_requests": ok, "first_sent": first, "last_answered": answered, "all_delivered": done,
            "cpu_s": cpu1 - cpu0, "slack_cpu_s": slack1 - slack0, "errors": errors,
            "delivered_when_answered": delivered_when_answered - delivered0}


def run_once(args, work: Path, slack_bin: str) -> dict:
    slack = SlackSandboxProcess(slack_bin, work)
    SLACK_PID[:] = [slack.pid]
    out: dict = {}
    try:
        bot = slack.bot_token()
        systems = [(HeraldSystem, "h-"), (AlertmanagerSystem, "a-")]
        if args.postgres:
            systems.append((HeraldPostgresSystem, "p-"))
        if args.systems:
            wanted = set(args.systems.split(","))
            systems = [s for s in systems if s[0].name in wanted]
        for system_class, prefix in systems:
            for i in range(SERVICES):
                slack.add_channel(f"{prefix}ch-{i:03d}")
            sys_work = work / system_class.name
            sys_work.mkdir()
            system = system_class(args, sys_work, slack, bot, prefix)
            profiler = None
            if args.profile and system.name == "herald":
                profiler = harness.Processes.spawn(["perf", "record", "-F", "499", "-g", "-p", str(system.pid), "-o", str(sys_work / "perf.data")],
                                                   stdout=harness.subprocess.DEVNULL, stderr=harness.subprocess.DEVNULL)
            pg0 = system.postgres_cpu() if isinstance(system, HeraldPostgresSystem) else None
            try:
                out[system.name] = measure(args, system, slack)
                if pg0 is not None:
                    out[system.name]["postgres_cpu_s"] = round(system.postgres_cpu() - pg0, 1)
                    out[system.name]["top_statements"] = system.top_statements()
            finally:
                if profiler:
                    harness.Processes.stop(profiler, sig=harness.signal.SIGINT, timeout=60)
                    report = harness.subprocess.run(["perf", "report", "-i", str(sys_work / "perf.data"), "--stdio", "--no-children",
                                                     "--percent-limit", "0.7", "-g", "none", "--sort", "symbol"],
                                                    capture_output=True, text=True, timeout=300)
                    Path(args.profile).write_text(report.stdout)
                    callers = harness.subprocess.run(["perf", "report", "-i", str(sys_work / "perf.data"), "--stdio", "--children",
                                                      "--percent-limit", "2", "-g", "none", "--sort", "symbol"],
                                                     capture_output=True, text=True, timeout=300)
                    Path(args.profile + ".children").write_text(callers.stdout)
                    dsos = harness.subprocess.run(["perf", "report", "-i", str(sys_work / "perf.data"), "--stdio", "--no-children",
                                                   "--sort", "dso"], capture_output=True, text=True, timeout=300)
                    Path(args.profile + ".dso").write_text(dsos.stdout)
                    shutil.copy(sys_work / "perf.data", args.profile + ".data")
                out[system.name]["peak_rss_mib"] = proc_peak_rss_mib(system.pid)
                system.stop()
            print(f"  {system.name}: " + json.dumps({k: v for k, v in out[system.name].items() if k != 'errors'}), flush=True)
    finally:
        slack.stop()
    return out


def measure(args, system, slack: SlackSandboxProcess) -> dict:
    n, batch = args.alerts, 100
    alerts = [alert(i) for i in range(n)]
    r: dict = {}
    phases = set(args.phases.split(","))
    if "batched" in phases:
        r["batched"] = batched(args, system, slack, alerts, n, batch)
    if "single" in phases:
        r.update(single(args, system))
    if "fanout" in phases and system.name.startswith("herald"):
        r["fanout"] = fanout(args, system, slack)
    return r


FANOUT = 200
FAN_ID = re.compile(r"fan-[A-Za-z]+-\d+-\d+")


def fanout(args, system, slack: SlackSandboxProcess) -> dict:
    """Phase 3: one event to 200 destinations, one sink type against four (see the module's help)."""
    receiver_port = harness.free_port()
    receiver = harness.Processes.spawn([sys.executable, str(Path(__file__).resolve().parent / "bench_receiver.py"), str(receiver_port)],
                                       stdout=harness.subprocess.DEVNULL, stderr=harness.subprocess.DEVNULL)
    try:
        Poll.until(lambda: _receiver_up(receiver_port), 10, 0.1)
        org = system.api("POST", "/api/v1/orgs", {"name": "Fan-out"})["id"]
        keys, channels = {}, {}
        for name in ("one", "four"):
            project = system.api("POST", f"/api/v1/orgs/{org}/projects", {"name": f"Fan-out {name}"})["id"]
            system.api("PUT", f"/api/v1/projects/{project}/settings/slack", {"enabled": True, "token": system.bot, "channels": []}, expect=200)
            keys[name] = system.api("POST", f"/api/v1/projects/{project}/keys", {"name": "bench"})["key"]
            channels[name] = []
            for i in range(FANOUT):
                kind = "slack" if name == "one" else ["slack", "slack_webhook", "mattermost", "webhook"][i % 4]
                if kind == "webhook":
                    sink = {"type": "webhook", "url": f"http://{HOST}:{receiver_port}/r/{i:03d}", "secret": "bench-signing-secret"}
                else:
                    channel = f"fo-{name}-{i:03d}"
                    slack.add_channel(channel)
                    channels[name].append(channel)
                    if kind == "slack":
                        sink = {"type": "slack", "channel": f"#{channel}"}
                    else:
                        status, _, raw = request("POST", slack.port, "/sandbox/control/webhooks", body={"channel": f"#{channel}"})
                        if status != 201:
                            raise harness.HarnessError(f"sandbox webhook: HTTP {status} {raw[:200]!r}")
                        sink = {"type": kind, "url": json.loads(raw)["url"]}
                system.api("POST", f"/api/v1/projects/{project}/integrations", {"name": f"d{i:03d}", "source": "notifications", "sink": sink})
        events = args.fanout_events
        totals = {"one": [0, 0.0], "four": [0, 0.0]}
        cpu = {"one": [0.0, 0.0, 0.0], "four": [0.0, 0.0, 0.0]}  # Herald, the Slack sandbox, the receiver
        chunks: list = []
        for round_index, name in enumerate(["one", "four", "four", "one"] * 2):
            tag = f"fan-{name}-{round_index}"
            base = system.delivered()
            cpu0 = (proc_cpu_seconds(system.pid), proc_cpu_seconds(slack.pid), proc_cpu_seconds(receiver.pid))
            requests_ = [post_request(system.port, "/api/v1/events", json.dumps(
                {"type": "notification", "title": f"{tag}-{e} fan-out", "text": "One event, two hundred destinations."}).encode(),
                {"Authorization": f"Bearer {keys[name]}"}) for e in range(events)]
            results = send_all(system.port, requests_, 4, timeout=120, deadline=args.timeout)
            first = min(r["sent"] for r in results if r["sent"])
            if not Poll.until(lambda: system.delivered() >= base + events * FANOUT, args.timeout, 0.2):
                raise harness.HarnessError(f"fan-out {tag}: not every message was delivered")
            arrivals = [t for t, ident in _receiver_stats(receiver_port) if ident.startswith(tag + "-")]
            for channel in channels[name]:
                for m in slack.messages(channel):
                    found = FAN_ID.search(m.get("text", "") + json.dumps(m.get("attachments") or []))
                    if found and found.group(0).startswith(tag + "-"):
                        arrivals.append(m["receivedAt"])
            if len(arrivals) != events * FANOUT:
                raise harness.HarnessError(f"fan-out {tag}: {len(arrivals)} messages received, {events * FANOUT} expected")
            totals[name][0] += len(arrivals)
            totals[name][1] += max(arrivals) - first
            cpu1 = (proc_cpu_seconds(system.pid), proc_cpu_seconds(slack.pid), proc_cpu_seconds(receiver.pid))
            for k in range(3):
                cpu[name][k] += cpu1[k] - cpu0[k]
            chunks.append({"sinks": name, "delivered_per_s": round(len(arrivals) / (max(arrivals) - first), 0)})
        one, four = (totals[k][0] / totals[k][1] for k in ("one", "four"))
        per = {k: [round(1000 * c / totals[k][0], 3) for c in cpu[k]] for k in cpu}
        return {"destinations": FANOUT, "events_per_chunk": events, "one_sink_delivered_per_s": round(one, 0),
                "four_sinks_delivered_per_s": round(four, 0), "ratio": round(four / one, 3),
                "herald_cpu_ms_per_delivery": {k: v[0] for k, v in per.items()},
                "receivers_cpu_ms_per_delivery": {k: round(v[1] + v[2], 3) for k, v in per.items()}, "chunks": chunks}
    finally:
        harness.Processes.stop(receiver)


def _receiver_up(port: int) -> bool:
    try:
        return request("GET", port, "/stats", timeout=1)[0] == 200
    except OSError:
        return False


def _receiver_stats(port: int) -> list:
    return json.loads(request("GET", port, "/stats", timeout=30)[2])


def batched(args, system, slack: SlackSandboxProcess, alerts: list[dict], n: int, batch: int) -> dict:
    base = system.delivered()
    # 1. batched triggers, then resolves
    now = time.time()
    trig = phase(system, [system.payload(alerts[i:i + batch], "firing", now) for i in range(0, n, batch)], 4, base + n, args.timeout)
    now = time.time()
    res = phase(system, [system.payload(alerts[i:i + batch], "resolved", now) for i in range(0, n, batch)], 4, base + 2 * n, args.timeout)
    sent_trigger = {f"a-{i:05d}": trig["results"][i // batch]["sent"] for i in range(n)}
    sent_resolve = {f"a-{i:05d}": res["results"][i // batch]["sent"] for i in range(n)}
    seen = messages_by_id(slack, system.channels)
    trigger_lat, resolve_lat, received = [], [], []
    for ident, t0 in sent_trigger.items():
        msgs = sorted(seen.get(ident, []), key=lambda m: m["receivedAt"])
        if not msgs:
            continue
        received.append(msgs[0]["receivedAt"])
        trigger_lat.append(msgs[0]["receivedAt"] - t0)
        t1 = sent_resolve[ident]
        if system.name.startswith("herald"):
            edits = [u for u in msgs[0].get("updatedAt", []) if u >= t1]
            if edits:
                resolve_lat.append(max(edits) - t1)
        else:
            later = [m["receivedAt"] for m in msgs[1:] if m["receivedAt"] >= t1 and "resolved" in json.dumps(m.get("attachments"))]
            if later:
                resolve_lat.append(min(later) - t1)
    return {
        "accepted_requests": f"{trig['ok_requests']}/{len(trig['results'])}",
        "alerts_accepted_per_s": round(n / (trig["last_answered"] - trig["first_sent"]), 0),
        "trigger_messages": len(trigger_lat),
        "trigger_delivered_per_s": round(len(received) / (max(received) - trig["first_sent"]), 0) if received else None,
        "trigger_p50_s": round(pct(trigger_lat, 50), 2) if trigger_lat else None,
        "trigger_p99_s": round(pct(trigger_lat, 99), 2) if trigger_lat else None,
        "resolves_seen": len(resolve_lat),
        "resolve_p50_s": round(pct(resolve_lat, 50), 2) if resolve_lat else None,
        "resolve_p99_s": round(pct(resolve_lat, 99), 2) if resolve_lat else None,
        "cpu_s": round(trig["cpu_s"] + res["cpu_s"], 1),
        "cpu_ms_per_alert": round(1000 * (trig["cpu_s"] + res["cpu_s"]) / (2 * n), 2),
        "slack_cpu_ms_per_alert": round(1000 * (trig["slack_cpu_s"] + res["slack_cpu_s"]) / (2 * n), 2),
        "errors": trig["errors"] + res["errors"],
    }


def single(args, system) -> dict:
    r: dict = {}
    # 2. one alert per request, 32 clients. Herald's two projects go in ABBA order
    # `--single-repeats` times (services, none, none, services, …), so drift over the run (warm
    # caches, a growing database, the machine's speed from one second to the next) weighs on both
    # alike; each project gets `--single` alerts in 2 × repeats chunks, and so does Alertmanager.
    m = args.single
    chunks = 2 * args.single_repeats
    order = ["services", "none", "none", "services"] * args.single_repeats if system.name.startswith("herald") else ["services"] * chunks
    totals: dict[str, dict] = {}
    for round_index, project in enumerate(order):
        base = system.delivered()
        count = m // chunks
        single = [alert(100_000 + round_index * count + i, prefix="b", services=True) for i in range(count)]
        now = time.time()
        one = phase(system, [system.payload([a], "firing", now, project=project) for a in single], 32, base + count, args.timeout)
        t = totals.setdefault(project, {"ok": 0, "n": 0, "wall": 0.0, "cpu": 0.0, "slack_cpu": 0.0, "delivered": True, "errors": [],
                                        "delivered_when_answered": 0.0})
        t["delivered_when_answered"] += one["delivered_when_answered"]
        t["slack_cpu"] += one["slack_cpu_s"]
        t["ok"] += one["ok_requests"]
        t["n"] += count
        t["wall"] += one["last_answered"] - one["first_sent"]
        t["cpu"] += one["cpu_s"]
        t["delivered"] = t["delivered"] and one["all_delivered"]
        t["errors"] += one["errors"]
    for project, t in totals.items():
        r[f"single_{project}"] = {
            "accepted": f"{t['ok']}/{t['n']}",
            "alerts_accepted_per_s": round(t["n"] / t["wall"], 0),
            "cpu_ms_per_request": round(1000 * t["cpu"] / t["n"], 2),
            "slack_cpu_ms_per_request": round(1000 * t["slack_cpu"] / t["n"], 2),
            # How far delivery kept up with intake: the share of the messages already in Slack when
            # the last request was answered.
            "delivered_when_answered_pct": round(100 * t["delivered_when_answered"] / t["n"], 0),
            "all_delivered": t["delivered"],
            "errors": t["errors"][:3],
        }
    return r


def summary(runs: list[dict]) -> str:
    rows = [
        ("alerts accepted/s, batched", "batched", "alerts_accepted_per_s", "{:.0f}"),
        ("alerts accepted/s, one per request", "single_services", "alerts_accepted_per_s", "{:.0f}"),
        ("trigger messages delivered/s", "batched", "trigger_delivered_per_s", "{:.0f}"),
        ("trigger latency p50 (s)", "batched", "trigger_p50_s", "{:.2f}"),
        ("trigger latency p99 (s)", "batched", "trigger_p99_s", "{:.2f}"),
        ("resolve latency p50 (s)", "batched", "resolve_p50_s", "{:.2f}"),
        ("resolve latency p99 (s)", "batched", "resolve_p99_s", "{:.2f}"),
        ("CPU seconds, batched phase", "batched", "cpu_s", "{:.1f}"),
        ("CPU ms per alert, batched", "batched", "cpu_ms_per_alert", "{:.2f}"),
        ("CPU ms per request, one per request", "single_services", "cpu_ms_per_request", "{:.2f}"),
        ("messages in Slack when the last request was answered (%), one per request", "single_services",
         "delivered_when_answered_pct", "{:.0f}"),
        ("Slack emulator's CPU ms per alert, batched", "batched", "slack_cpu_ms_per_alert", "{:.2f}"),
        ("Slack emulator's CPU ms per request, one per request", "single_services", "slack_cpu_ms_per_request", "{:.2f}"),
        ("peak RSS (MiB)", None, "peak_rss_mib", "{:.0f}"),
        ("fan-out: deliveries/s, 200 destinations of one sink type", "fanout", "one_sink_delivered_per_s", "{:.0f}"),
        ("fan-out: deliveries/s, 200 destinations of four sink types", "fanout", "four_sinks_delivered_per_s", "{:.0f}"),
        ("fan-out: four sink types ÷ one (target ≥ 0.9)", "fanout", "ratio", "{:.3f}"),
    ]

    def cell(system: str, section, key, fmt) -> str:
        values = []
        for run in runs:
            src = run.get(system, {})
            v = src.get(key) if section is None else src.get(section, {}).get(key)
            if isinstance(v, (int, float)):
                values.append(v)
        if not values:
            return "—"
        lo, hi = min(values), max(values)
        return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}–{fmt.format(hi)}"

    postgres = any("herald_postgres" in run for run in runs)
    head = f"| ({len(runs)} runs, ranges) | Alertmanager | Herald |" + (" Herald on PostgreSQL |" if postgres else "")
    lines = [head, "|---|---|---|" + ("---|" if postgres else "")]
    for label, section, key, fmt in rows:
        line = f"| {label} | {cell('alertmanager', section, key, fmt)} | {cell('herald', section, key, fmt)} |"
        if postgres:
            line += f" {cell('herald_postgres', section, key, fmt)} |"
        lines.append(line)
    none = cell('herald', 'single_none', 'cpu_ms_per_request', '{:.2f}')
    line = f"| Herald CPU ms per request, project with no services | — | {none} |"
    if postgres:
        line += f" {cell('herald_postgres', 'single_none', 'cpu_ms_per_request', '{:.2f}')} |"
        lines.append(line)
        lines.append(f"| PostgreSQL's own CPU seconds, whole run | — | — | {cell('herald_postgres', None, 'postgres_cpu_s', '{:.1f}')} |")
    else:
        lines.append(line)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(harness.REPO / ".build" / "release" / "herald"))
    parser.add_argument("--slack-bin", default=None, help="default: slack-sandbox beside --bin")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=3_000, help="alerts one per request, per project")
    parser.add_argument("--single-repeats", type=int, default=2,
                        help="ABBA rounds of Herald's two projects in the one-per-request phase (default 2; "
                             "`--single 24000 --single-repeats 4` compares 200 services with none in chunks of 3,000)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds any one phase may take")
    parser.add_argument("--json", default="bench-compare.json")
    parser.add_argument("--postgres", action="store_true", help="also Herald on PostgreSQL (no target; figures and top statements)")
    parser.add_argument("--phases", default="batched,single,fanout", help="which phases to run (batched, single, fanout), comma-separated")
    parser.add_argument("--fanout-events", type=int, default=40, help="events per fan-out chunk (each to 200 destinations)")
    parser.add_argument("--systems", default=None, help="only these systems (herald, alertmanager, herald_postgres), comma-separated")
    parser.add_argument("--profile", default=None, help="record Herald with `perf record -g` and write the report to this file (and perf.data to FILE.data)")
    args = parser.parse_args()
    unknown = set(args.phases.split(",")) - {"batched", "single", "fanout"}
    if args.systems:
        unknown |= set(args.systems.split(",")) - {"herald", "alertmanager", "herald_postgres"}
        args.postgres = args.postgres or "herald_postgres" in args.systems.split(",")
    if unknown:
        parser.error(f"unknown phase or system: {', '.join(sorted(unknown))}")
    slack_bin = args.slack_bin or str(Path(args.bin).with_name("slack-sandbox"))
    for path in (args.bin, slack_bin):
        if not os.access(path, os.X_OK):
            print(f"not found: {path} (make bench-compare builds the release binaries)", file=sys.stderr)
            return 2
    runs = []
    for i in range(args.runs):
        work = Path(tempfile.mkdtemp(prefix="herald-compare."))
        print(f"run {i + 1}/{args.runs} in {work}", flush=True)
        try:
            runs.append(run_once(args, work, slack_bin))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    Path(args.json).write_text(json.dumps({"machine": os.uname()._asdict() if hasattr(os.uname(), "_asdict") else str(os.uname()),
                                           "cpus": os.cpu_count(), "args": vars(args), "runs": runs}, indent=2, default=str))
    print()
    print(summary(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
