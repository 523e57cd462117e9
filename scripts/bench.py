#!/usr/bin/env python3
"""Herald's benchmark (not part of the test suite): `make bench`, or

    python3 scripts/bench.py [--db sqlite|postgres|both] [--quick] [--bin PATH] [--only 1,2,3,4] ...

Four measurements, each against a fresh `herald serve` with a fresh database, on SQLite and/or on a
throwaway PostgreSQL cluster (started under a temp dir on a free loopback port, stopped at the end):

  1. intake   events accepted per second: single-event POST /api/v1/events (incident triggers with
              distinct keys), 32 concurrent keep-alive clients, a bounded count and duration.
              Client: `wrk` with a Lua script when it is installed (apt-get install wrk), else a
              Python asyncio raw-HTTP/1.1 client. Only 202s are counted; anything else is reported.
  2. fanout   deliveries per second to the built-in Slack sandbox across 200 channels, pacing off
              (HERALD_CHANNEL_RATE=0): notifications whose deliveries fan out to every channel,
              timed from the first accepted event to the last message the sandbox received.
              (A project holds at most 100 channels, so the 200 channels are spread over two
              projects and each round sends one notification to each: 200 deliveries a round.)
  3. latency  event-to-post latency at a steady rate (default 500 events/s for 20 s) to a handful
              of channels, pacing off: each notification's title carries its id; latency is the
              sandbox's `receivedAt` minus the moment the request was written.
  5. alertmanager  one Alertmanager webhook payload of 15,000 alerts with one label set (about
              800 KB) to tenant A while tenant B sends one event at a time: how long A's payload
              takes to be answered, and B's worst wait meanwhile; then 15,000 distinct alerts (new
              incidents), and the same again (appends). The peer: Debian's prometheus-alertmanager
              given the same 15,000 alerts on POST /api/v2/alerts while a second client posts one
              alert at a time, measured in the same run (`--db sqlite --only 5`; apt-get install
              prometheus-alertmanager). The issue's targets are for a debug build: --bin .build/debug/herald.
  4. memory   peak memory (VmHWM) of the Herald process with N open incidents (default 10,000
              distinct keys, each posted once). Slack is a *separate* `herald serve --sandbox`
              process here, so the sandbox's in-memory copy of every message is not counted in
              Herald's figure (--memory-slack inprocess measures the all-in-one process instead).

Everything runs on 127.0.0.1 only; every load loop is bounded in count and in time; every process
the script starts is stopped (SIGTERM, then SIGKILL) when it ends, fails or is interrupted.

The binary: --bin, else $HERALD_BIN, else <repo>/.build/release/herald. The script never builds;
`make bench` builds the release binary first. A debug binary runs many times slower: label the
figures with --build-label (guessed from the path: .../release/... or .../debug/...).

Results: a table on stdout and bench-results.json in the current directory (--json PATH).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as _dt
import glob
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"

TARGETS = {  # SQLite, release build
    "intake_events_per_s": (">=", 3000.0),
    "fanout_deliveries_per_s": (">=", 2000.0),
    "latency_p99_ms": ("<=", 250.0),
    "memory_peak_mib": ("<=", 150.0),
}

# --- processes, ports and PostgreSQL: the shared harness (scripts/harness.py) -----------------------------

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import RawConn, free_port  # noqa: E402,F401

_spawn = harness.Processes.spawn
_stop_proc = harness.Processes.stop
_CLEANUPS = harness.Processes.cleanups
cleanup_all = harness.Processes.stop_all


def _on_signal(signum, _frame):
    cleanup_all()
    sys.exit(128 + signum)


# --- small helpers ------------------------------------------------------------------------------------

_OPENER = harness.OPENER  # never a proxy: loopback only


def http(method: str, port: int, path: str, token: str | None = None, body=None, timeout: float = 30.0):
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=data, headers=headers, method=method)
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw = err.read()
        status = err.code
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    return status, parsed


def must(expected: int, result, what: str):
    status, body = result
    if status != expected:
        raise RuntimeError(f"{what}: expected HTTP {expected}, got {status}: {str(body)[:500]}")
    return body


_METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')


def metrics(port: int) -> dict[str, float]:
    """GET /metrics as {"name{labels}": value}."""
    req = urllib.request.Request(f"http://{HOST}:{port}/metrics")
    with _OPENER.open(req, timeout=30) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _METRIC_LINE.match(line)
        if m:
            try:
                out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
            except ValueError:
                pass
    return out


def metric_sum(m: dict[str, float], name: str, **labels: str) -> float:
    total = 0.0
    for key, value in m.items():
        if key == name or key.startswith(name + "{"):
            if all(f'{k}="{v}"' in key for k, v in labels.items()):
                total += value
    return total


def sent_deliveries(port: int) -> tuple[float, float]:
    """(sent + superseded, failed + dead) from Herald's delivery counters."""
    m = metrics(port)
    ok = metric_sum(m, "herald_delivery_attempts_total", state="sent") + metric_sum(m, "herald_delivery_attempts_total", state="superseded")
    bad = metric_sum(m, "herald_delivery_attempts_total", state="failed") + metric_sum(m, "herald_delivery_attempts_total", state="dead")
    return ok, bad


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS/VmHWM… of a process, in KiB."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Vm"):
                    name, value = line.split(":", 1)
                    out[name] = int(value.split()[0])
    except OSError:
        pass
    return out


def proc_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds (user + system) of a process; with children=True also of its reaped children."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[0] is state (field 3); utime=14, stime=15, cutime=16, cstime=17 → indexes 11..14
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def children_of(pid: int) -> list[int]:
    out = []
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(path) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(path.split("/")[2]))
        except (OSError, IndexError, ValueError):
            continue
    return out


class CpuMeter:
    """CPU seconds used by Herald, PostgreSQL (postmaster + backends) and this client between start and stop."""

    def __init__(self, herald_pids: list[int], pg: "PgCluster | None", pgdb: str | None = None):
        self.herald_pids = herald_pids
        self.pg = pg
        self.pgdb = pgdb
        self.activity: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = None

    def _sample_activity(self):
        """Once a second: what Herald's PostgreSQL connections are doing (state and wait event)."""
        while not self._stop.wait(1.0):
            try:
                out = self.pg.psql("postgres", f"""
                    SELECT coalesce(state, '-') || coalesce(' / ' || wait_event_type || ':' || wait_event, ''), count(*)
                    FROM pg_stat_activity WHERE datname = '{self.pgdb}' GROUP BY 1""")
            except Exception:  # noqa: BLE001 - a missed sample is fine
                continue
            self.samples += 1
            for line in out.splitlines():
                key, _, n = line.rpartition("\t")
                if key:
                    self.activity[key] = self.activity.get(key, 0) + int(n)

    def _sample(self):
        herald = sum(proc_cpu(p) for p in self.herald_pids)
        pg = 0.0
        if self.pg and self.pg.postmaster_pid():
            pm = self.pg.postmaster_pid()
            pg = proc_cpu(pm, children=True) + sum(proc_cpu(c) for c in children_of(pm))
        t = os.times()
        client = t.user + t.system + t.children_user + t.children_system
        return time.monotonic(), herald, pg, client

    def start(self):
        self.t0 = self._sample()
        if self.pg and self.pgdb:
            self._thread = threading.Thread(target=self._sample_activity, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> dict:
        t1 = self._sample()
        wall = max(t1[0] - self.t0[0], 1e-9)
        res = {"wall_s": round(wall, 2),
               "herald_cpu_pct": round(100 * (t1[1] - self.t0[1]) / wall, 1),
               "client_cpu_pct": round(100 * (t1[3] - self.t0[3]) / wall, 1)}
        if self.pg:
            res["postgres_cpu_pct"] = round(100 * (t1[2] - self.t0[2]) / wall, 1)
        if self._thread:
            self._stop.set()
            self._thread.join(timeout=10)
            if self.samples:
                # Average number of Herald's connections in each state over the run.
                res["pg_connections"] = {k: round(v / self.samples, 1)
                                         for k, v in sorted(self.activity.items(), key=lambda kv: -kv[1])}
        return res


# --- PostgreSQL: a throwaway cluster like scripts/test.sh's ---------------------------------------------

class PgCluster(harness.PgCluster):
    """The harness's throwaway cluster with pg_stat_statements; `durable` keeps fsync on (and, unless
    asked, turns synchronous_commit off, like SQLite's WAL with synchronous=NORMAL)."""

    def __init__(self, durable: bool):
        super().__init__(fast=False, statements=True, max_connections=200)
        self.durable = durable
        self.admin_url = self.url("postgres")

    def start(self) -> "PgCluster":
        if not self.durable:
            self.extra_options = "-c synchronous_commit=off"
        return super().start()

    def reset_statements(self) -> None:
        self.psql("postgres", "SELECT pg_stat_statements_reset()")

    def top_statements(self, dbname: str, limit: int = 6) -> list[dict]:
        out = self.psql("postgres", f"""
            SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3),
                   regexp_replace(left(query, 160), '\\s+', ' ', 'g')
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = '{dbname}' ORDER BY total_exec_time DESC LIMIT {limit}""")
        rows = []
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 4:
                rows.append({"calls": int(parts[0]), "total_ms": float(parts[1]), "mean_ms": float(parts[2]), "query": parts[3]})
        return rows


# --- Herald processes -------------------------------------------------------------------------------------

class Herald(harness.HeraldProcess):
    """One `herald serve` process in its own temp dir."""

    def __init__(self, bin_path: str, workdir: Path, env: dict[str, str], sandbox: bool, name: str):
        super().__init__(bin_path, workdir, env, name=name, sandbox=sandbox)
        self.workdir = workdir

    def wait_healthy(self, timeout: float = 120.0) -> None:
        try:
            super().wait_healthy(timeout)
        except harness.HarnessError as err:
            raise RuntimeError(str(err)) from None

    def banner(self, timeout: float = 60.0) -> dict[str, str]:
        """The sandbox demo's credentials, from the startup banner."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.stdout_path.read_text(errors="replace")
            tok = re.search(r"API token:\s+(\S+)", text)
            key = re.search(r"Event key:\s+(\S+)", text)
            proj = re.search(r"/api/v1/projects/([^/\s]+)/settings/slack/test", text)
            if tok and key and proj:
                return {"token": tok.group(1), "key": key.group(1), "project": proj.group(1)}
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: no sandbox banner:\n{self.logs()}")

    def memory(self) -> dict[str, int]:
        return proc_status(self.pid)

    def stop(self) -> str:
        """Stops the server; returns how it ended ("exit 0", or a crash with its first fatal line)."""
        code = super().stop(timeout=20)
        try:
            err = self.stderr_path.read_text(errors="replace")
        except OSError:
            err = ""
        fatal = next((line.strip() for line in err.splitlines() if "Fatal error" in line or "Program crashed" in line), None)
        note = f"exit {code}"
        if fatal:
            note += f", CRASHED on shutdown: {fatal[:200]} (log: {self.stderr_path})"
        return note


def herald_env(db_url: str, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update({
        "HERALD_DATABASE_URL": db_url,
        "HERALD_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "LOG_LEVEL": "notice",
    })
    env.update(extra)
    return env


class Run:
    """A database (a SQLite file or a fresh PostgreSQL database) and the servers of one scenario."""

    def __init__(self, ctx: "Context", scenario: str):
        self.ctx = ctx
        self.dir = ctx.workdir / f"{ctx.db}-{scenario}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.servers: list[Herald] = []
        self.exits: dict[str, str] = {}
        ctx.last_run = self
        self.pgdb = None
        if ctx.db == "postgres":
            self.pgdb = ctx.pg.create_db()
            self.db_url = ctx.pg.url(self.pgdb)
        else:
            self.db_url = f"sqlite://{self.dir / 'herald.sqlite'}"

    def herald(self, sandbox: bool, extra: dict[str, str] | None = None, name: str = "herald", db_url: str | None = None) -> Herald:
        extra = dict(extra or {})
        if self.ctx.db == "sqlite-normal":
            extra.setdefault("HERALD_SQLITE_SYNCHRONOUS", "normal")
        server = Herald(self.ctx.bin, self.dir, herald_env(db_url or self.db_url, extra), sandbox, name)
        self.servers.append(server)
        server.wait_healthy()
        return server

    def close(self) -> None:
        for s in reversed(self.servers):
            self.exits[s.name] = s.stop()
            if "CRASHED" in self.exits[s.name]:
                self.ctx.keep_logs = True
        if self.pgdb:
            try:
                self.ctx.pg.drop_db(self.pgdb)
            except Exception as err:  # noqa: BLE001
                print(f"  (could not drop {self.pgdb}: {err})")


# --- a raw HTTP/1.1 keep-alive client ---------------------------------------------------------------------

def event_request(port: int, key: str, body: dict) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    return (f"POST /api/v1/events HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload


async def _send_many(port: int, count: int, make, concurrency: int, deadline_s: float,
                     rate: float | None = None, request_timeout: float = 30.0) -> dict:
    """Sends `count` requests (make(i) -> bytes) over `concurrency` keep-alive connections, stopping at
    `deadline_s`. With `rate`, request i is due at start + i/rate (open loop: a late request goes at once).
    Returns statuses, per-request send/answer times (wall clock) and a few error bodies."""
    loop = asyncio.get_running_loop()
    state = {"next": 0}
    sent_at: dict[int, float] = {}
    answered_at: dict[int, float] = {}
    scheduled: dict[int, float] = {}
    statuses: dict[int, int] = {}
    errors: list[str] = []
    bodies: dict[int, bytes] = {}
    t0_wall = time.time()
    t0 = loop.time()
    stop_at = t0 + deadline_s

    async def worker():
        conn = RawConn(port)
        try:
            while True:
                i = state["next"]
                if i >= count or loop.time() >= stop_at:
                    return
                state["next"] = i + 1
                if rate:
                    due = t0 + i / rate
                    scheduled[i] = t0_wall + i / rate
                    delay = due - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if loop.time() >= stop_at:
                        return
                data = make(i)
                sent_at[i] = time.time()
                try:
                    status, body = await conn.send(data, request_timeout)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as err:
                    statuses[-1] = statuses.get(-1, 0) + 1
                    if len(errors) < 5:
                        errors.append(f"{type(err).__name__}: {err}")
                    continue
                answered_at[i] = time.time()
                statuses[status] = statuses.get(status, 0) + 1
                if status == 202:
                    bodies[i] = body
                elif len(errors) < 5:
                    errors.append(f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}")
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"statuses": statuses, "sent_at": sent_at, "answered_at": answered_at, "scheduled": scheduled,
            "errors": errors, "bodies": bodies, "attempted": state["next"]}


def send_many(*args, **kw) -> dict:
    return asyncio.run(_send_many(*args, **kw))


def summarize_statuses(res: dict) -> tuple[int, dict[str, int]]:
    ok = res["statuses"].get(202, 0)
    other = {("connection error" if k == -1 else str(k)): v for k, v in res["statuses"].items() if k != 202}
    return ok, other


# --- scenario helpers ----------------------------------------------------------------------------------------

def create_channels(port: int, prefix: str, n: int) -> list[str]:
    names = []
    for i in range(n):
        name = f"{prefix}-{i:03d}"
        must(201, http("POST", port, "/sandbox/control/channels", body={"name": name}), "create sandbox channel")
        names.append(name)
    return names


def spread_channels(server: Herald, demo: dict, channels: list[str], per_project: int = 100) -> list[dict]:
    """Sets the demo project's channels (and, past 100 channels — a project's limit — those of extra
    projects in the demo organization with their own sandbox bot token). Returns [{project, key, channels}]."""
    groups = [channels[i:i + per_project] for i in range(0, len(channels), per_project)]
    token = demo["token"]
    out = []
    orgs = must(200, http("GET", server.port, "/api/v1/orgs", token), "list orgs")
    org_id = next(o["id"] for o in orgs if o["name"] == "Demo")
    for gi, group in enumerate(groups):
        if gi == 0:
            project, key = demo["project"], demo["key"]
            body = {"enabled": True, "channels": ["#" + c for c in group]}
        else:
            project = must(201, http("POST", server.port, f"/api/v1/orgs/{org_id}/projects", token,
                                     {"name": f"Bench project {gi + 1}"}), "create project")["id"]
            key = must(201, http("POST", server.port, f"/api/v1/projects/{project}/keys", token, {"name": "bench"}),
                       "create event key")["key"]
            bot = must(201, http("POST", server.port, "/sandbox/control/bot-tokens"), "sandbox bot token")["token"]
            body = {"enabled": True, "token": bot, "channels": ["#" + c for c in group]}
        settings = must(200, http("PUT", server.port, f"/api/v1/projects/{project}/settings/slack", token, body),
                        "set project Slack channels")
        got = settings.get("effective", {}).get("channels") or settings.get("channels")
        if len(got or []) != len(group):
            raise RuntimeError(f"project {project} has {len(got or [])} channels, wanted {len(group)}")
        out.append({"project": project, "key": key, "channels": group})
    return out


def channel_messages(port: int, channel: str) -> list[dict]:
    return must(200, http("GET", port, f"/sandbox/control/channels/{channel}/messages", timeout=120),
                "sandbox messages")["messages"]


def wait_for_deliveries(port: int, target: float, timeout: float, sample=None, every: float = 0.25) -> tuple[float, float, bool]:
    deadline = time.monotonic() + timeout
    ok = bad = 0.0
    while True:
        ok, bad = sent_deliveries(port)
        if sample:
            sample()
        if ok + bad >= target:
            return ok, bad, True
        if time.monotonic() >= deadline:
            return ok, bad, False
        time.sleep(every)


def request_stats(m: dict[str, float], route: str, method: str = "POST") -> dict:
    count = metric_sum(m, "herald_http_request_duration_seconds_count", route=route, method=method)
    total = metric_sum(m, "herald_http_request_duration_seconds_sum", route=route, method=method)
    return {"server_mean_ms": round(1000 * total / count, 2) if count else None}


def settle(port: int, route: str, timeout: float = 20.0) -> None:
    """Waits until the server has answered every request it got on `route` (the load generator may
    have left some in flight), so that stopping it afterwards measures nothing half-done."""
    deadline = time.monotonic() + timeout
    last = -1.0
    while time.monotonic() < deadline:
        n = metric_sum(metrics(port), "herald_http_request_duration_seconds_count", route=route)
        if n == last:
            return
        last = n
        time.sleep(0.5)


def group_commits(m: dict[str, float], kind: str) -> dict | None:
    """Herald's shared write transactions of `kind`: how many, items per transaction, mean duration."""
    n = metric_sum(m, "herald_group_commits_total", kind=kind)
    if not n:
        return None
    items = metric_sum(m, "herald_group_commit_items_total", kind=kind)
    seconds = metric_sum(m, "herald_group_commit_duration_seconds_sum", kind=kind)
    return {"transactions": int(n), "items_per_transaction": round(items / n, 1), "mean_ms": round(1000 * seconds / n, 2)}


def delivery_attempt_mean_ms(m: dict[str, float]) -> float | None:
    count = metric_sum(m, "herald_delivery_attempt_duration_seconds_count")
    total = metric_sum(m, "herald_delivery_attempt_duration_seconds_sum")
    return round(1000 * total / count, 2) if count else None


def mib(kib: int | None) -> float | None:
    return round(kib / 1024, 1) if kib else None


class Context:
    def __init__(self, args, db: str, pg: PgCluster | None, workdir: Path):
        self.args = args
        self.db = db
        self.pg = pg
        self.workdir = workdir
        self.bin = args.bin
        self.run_id = secrets.token_hex(3)
        self.last_run: Run | None = None
        self.keep_logs = False

    def pg_top(self, run: Run) -> list[dict] | None:
        if self.pg and run.pgdb:
            try:
                return self.pg.top_statements(run.pgdb)
            except Exception as err:  # noqa: BLE001
                return [{"error": str(err)}]
        return None

    def pg_reset(self):
        if self.pg:
            self.pg.reset_statements()


# --- 1. intake ---------------------------------------------------------------------------------------------

WRK_LUA = r"""
-- generated by scripts/bench.py: incident triggers with distinct keys; stops each thread after its quota
local ffi = require("ffi")
pcall(ffi.cdef, [[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]])
local tv = ffi.new("bench_timeval")
local function now() ffi.C.gettimeofday(tv, nil); return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6 end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer @KEY@"
local quota = @QUOTA@
local prefix = "@PREFIX@"
local markdir = "@MARKDIR@"

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  sent = 0; received = 0; ok = 0; other = 0; statuses = {}; t_first = 0; t_last = 0; finished = false
end

function request()
  if sent == 0 then t_first = now() end
  sent = sent + 1
  return wrk.format(nil, nil, nil, string.format(
    '{"type":"incident","action":"trigger","key":"%s-%d-%d","title":"Bench intake %d-%d","severity":"warning"}',
    prefix, tid, sent, tid, sent))
end

function response(status, headers, body)
  received = received + 1
  if status == 202 then ok = ok + 1 else
    other = other + 1
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
  end
  t_last = now()
  if received >= quota and not finished then
    finished = true
    local f = io.open(markdir .. "/done." .. tid, "w")
    if f then f:write("1"); f:close() end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local ok_all, other_all, sent_all, first, last = 0, 0, 0, nil, 0
  local st = {}
  for _, t in ipairs(threads) do
    ok_all = ok_all + (t:get("ok") or 0)
    other_all = other_all + (t:get("other") or 0)
    sent_all = sent_all + (t:get("sent") or 0)
    local f = t:get("t_first") or 0
    if f > 0 and (first == nil or f < first) then first = f end
    local l = t:get("t_last") or 0
    if l > last then last = l end
    local s = t:get("statuses") or {}
    for k, v in pairs(s) do st[k] = (st[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(st) do table.insert(parts, string.format('"%s":%d', k, v)) end
  io.write(string.format(
    'BENCH_JSON {"ok":%d,"other":%d,"sent":%d,"first":%.6f,"last":%.6f,"statuses":{%s},' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"lat_p50_us":%d,"lat_p99_us":%d,"lat_max_us":%d}\n',
    ok_all, other_all, sent_all, first or 0, last, table.concat(parts, ","),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def intake_with_wrk(ctx: Context, run: Run, port: int, key: str, count: int, seconds: float, conns: int) -> dict:
    wrk = shutil.which("wrk")
    threads = 2
    markdir = run.dir / "wrk-marks"
    markdir.mkdir(exist_ok=True)
    for f in markdir.glob("done.*"):
        f.unlink()
    quota = -(-count // threads)
    script = run.dir / "intake.lua"
    script.write_text(WRK_LUA.replace("@KEY@", key).replace("@QUOTA@", str(quota))
                      .replace("@PREFIX@", f"b1-{ctx.run_id}").replace("@MARKDIR@", str(markdir)))
    out_path = run.dir / "wrk.out"
    with open(out_path, "wb") as out:
        proc = _spawn([wrk, "-t", str(threads), "-c", str(conns), "-d", f"{int(seconds)}s", "--timeout", "10s",
                       "-s", str(script), f"http://{HOST}:{port}/api/v1/events"],
                      stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=run.dir)
        deadline = time.monotonic() + seconds + 30
        # wrk always sleeps for its whole duration; once every thread has met its quota, SIGINT ends it early.
        while proc.poll() is None and time.monotonic() < deadline:
            if len(list(markdir.glob("done.*"))) >= threads:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.02)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        _stop_proc(proc, signal.SIGINT)
    text = out_path.read_text(errors="replace")
    m = re.search(r"BENCH_JSON (\{.*\})", text)
    if not m:
        raise RuntimeError(f"wrk gave no result:\n{text[-2000:]}")
    r = json.loads(m.group(1))
    elapsed = max(r["last"] - r["first"], 1e-9)
    other = dict(r["statuses"])
    errs = {k: v for k, v in r["socket_errors"].items() if v}
    if errs:
        other["socket errors"] = errs
    return {"client": f"wrk ({threads} threads, {conns} connections)", "accepted": r["ok"], "non_202": other,
            "elapsed_s": round(elapsed, 2), "events_per_s": round(r["ok"] / elapsed, 1),
            "client_p50_ms": round(r["lat_p50_us"] / 1000, 1), "client_p99_ms": round(r["lat_p99_us"] / 1000, 1)}


def intake_with_python(ctx: Context, port: int, key: str, count: int, seconds: float, conns: int) -> dict:
    prefix = f"b1-{ctx.run_id}"

    def make(i):
        return event_request(port, key, {"type": "incident", "action": "trigger", "key": f"{prefix}-{i}",
                                         "title": f"Bench intake {i}", "severity": "warning"})
    res = send_many(port, count, make, conns, seconds)
    ok, other = summarize_statuses(res)
    sent = sorted(res["sent_at"].values())
    answered = sorted(res["answered_at"].values())
    elapsed = max((answered[-1] - sent[0]) if answered else 0, 1e-9)
    lat = sorted(1000 * (res["answered_at"][i] - res["sent_at"][i]) for i in res["answered_at"])
    return {"client": f"python asyncio ({conns} connections)", "accepted": ok, "non_202": other,
            "errors": res["errors"], "elapsed_s": round(elapsed, 2), "events_per_s": round(ok / elapsed, 1),
            "client_p50_ms": round(percentile(lat, 50) or 0, 1), "client_p99_ms": round(percentile(lat, 99) or 0, 1)}


def scenario_intake(ctx: Context) -> dict:
    a = ctx.args
    run = Run(ctx, "intake")
    try:
        extra = {} if a.intake_channel_rate is None else {"HERALD_CHANNEL_RATE": str(a.intake_channel_rate)}
        server = run.herald(sandbox=True, extra=extra)
        demo = server.banner()
        use_wrk = a.client == "wrk" or (a.client == "auto" and shutil.which("wrk"))
        if a.client == "wrk" and not shutil.which("wrk"):
            raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
        ctx.pg_reset()
        cpu = CpuMeter([server.pid], ctx.pg, run.pgdb).start()
        if use_wrk:
            res = intake_with_wrk(ctx, run, server.port, demo["key"], a.events, a.intake_seconds, a.connections)
        else:
            res = intake_with_python(ctx, server.port, demo["key"], a.events, a.intake_seconds, a.connections)
        res["cpu"] = cpu.stop()
        settle(server.port, "/api/v1/events")
        m = metrics(server.port)
        res.update(request_stats(m, "/api/v1/events"))
        res["intake_transactions"] = group_commits(m, "intake")
        res["target_count"] = a.events
        res["bounded_by"] = "count" if res["accepted"] + sum(v for v in res["non_202"].values() if isinstance(v, int)) >= a.events else "time"
        res["channel_rate"] = extra.get("HERALD_CHANNEL_RATE", "1 (default)")
        res["deliveries_sent_meanwhile"] = int(sent_deliveries(server.port)[0])
        res["peak_rss_mib"] = mib(server.memory().get("VmHWM"))
        res["pg_top"] = ctx.pg_top(run)
        return res
    finally:
        run.close()


# --- 2. fan-out --------------------------------------------------------------------------------------------

def scenario_fanout(ctx: Context) -> dict:
    a = ctx.args
    run = Run(ctx, "fanout")
    try:
        server = run.herald(sandbox=True, extra={"HERALD_CHANNEL_RATE": "0"})
        demo = server.banner()
        channels = create_channels(server.port, f"fan{ctx.run_id}", a.channels)
        projects = spread_channels(server, demo, channels)
        per_round = sum(len(p["channels"]) for p in projects)
        rounds = a.fanout_rounds
        prefix = f"fan-{ctx.run_id}"
        reqs = []
        fan = []  # deliveries each request causes
        for r in range(rounds):
            for pi, p in enumerate(projects):
                reqs.append(event_request(server.port, p["key"], {"type": "notification", "title": f"{prefix} {r}-{pi}"}))
                fan.append(len(p["channels"]))
        ctx.pg_reset()
        base_ok, base_bad = sent_deliveries(server.port)
        cpu = CpuMeter([server.pid], ctx.pg, run.pgdb).start()
        res = send_many(server.port, len(reqs), lambda i: reqs[i], min(8, len(reqs)), a.fanout_timeout)
        accepted, other = summarize_statuses(res)
        first_accept = min(res["answered_at"].values()) if res["answered_at"] else time.time()
        last_accept = max(res["answered_at"].values()) if res["answered_at"] else time.time()
        expected = sum(fan[i] for i in res["bodies"])
        want = base_ok + base_bad + expected
        remaining = max(5.0, a.fanout_timeout - (time.time() - first_accept))
        ok, bad, complete = wait_for_deliveries(server.port, want, remaining)
        cpu_res = cpu.stop()
        m = metrics(server.port)
        received = []
        for c in channels:
            received += [msg["receivedAt"] for msg in channel_messages(server.port, c) if msg.get("text", "").startswith(prefix)]
        received.sort()
        delivered = len(received)
        last = received[-1] if received else first_accept
        elapsed = max(last - first_accept, 1e-9)
        return {
            "channels": len(channels), "projects": len(projects), "rounds": rounds, "events_accepted": accepted,
            "non_202": other, "deliveries_per_round": per_round, "expected_deliveries": expected,
            "delivered": delivered, "failed": int(bad - base_bad), "complete": complete,
            "intake_s": round(last_accept - first_accept, 2), "elapsed_s": round(elapsed, 2),
            "deliveries_per_s": round(delivered / elapsed, 1),
            "steady_deliveries_per_s": round(delivered / max(received[-1] - received[0], 1e-9), 1) if len(received) > 1 else None,
            "delivery_attempt_mean_ms": delivery_attempt_mean_ms(m), "events": request_stats(m, "/api/v1/events"),
            "claim_transactions": group_commits(m, "claims"), "completion_transactions": group_commits(m, "completions"),
            "cpu": cpu_res, "peak_rss_mib": mib(server.memory().get("VmHWM")), "pg_top": ctx.pg_top(run),
        }
    finally:
        run.close()


# --- 3. latency --------------------------------------------------------------------------------------------

def scenario_latency(ctx: Context) -> dict:
    a = ctx.args
    run = Run(ctx, "latency")
    try:
        server = run.herald(sandbox=True, extra={"HERALD_CHANNEL_RATE": "0"})
        demo = server.banner()
        channels = create_channels(server.port, f"lat{ctx.run_id}", a.latency_channels)
        spread_channels(server, demo, channels)
        k = len(channels)
        # Warm-up (not measured): connections to the database and to the sandbox, caches.
        warm = [event_request(server.port, demo["key"], {"type": "notification", "title": f"warmup {i}"}) for i in range(20)]
        base = sum(sent_deliveries(server.port))
        w = send_many(server.port, len(warm), lambda i: warm[i], 4, 30, rate=20)
        wait_for_deliveries(server.port, base + summarize_statuses(w)[0] * k, 60)

        n = int(a.rate * a.latency_seconds)
        prefix = f"lat-{ctx.run_id}"
        reqs = [event_request(server.port, demo["key"], {"type": "notification", "title": f"{prefix} {i}"}) for i in range(n)]
        ctx.pg_reset()
        base_ok, base_bad = sent_deliveries(server.port)
        cpu = CpuMeter([server.pid], ctx.pg, run.pgdb).start()
        res = send_many(server.port, n, lambda i: reqs[i], a.latency_connections, a.latency_seconds * 1.5 + 10, rate=a.rate)
        accepted, other = summarize_statuses(res)
        send_times = sorted(res["sent_at"].values())
        send_span = max(send_times[-1] - send_times[0], 1e-9) if len(send_times) > 1 else 1e-9
        ok, bad, complete = wait_for_deliveries(server.port, base_ok + base_bad + accepted * k, a.drain_timeout)
        cpu_res = cpu.stop()
        m = metrics(server.port)
        lat = []
        lat_sched = []
        accepted_ids = set(res["bodies"].keys())
        found = 0
        pat = re.compile(re.escape(prefix) + r" (\d+)$")
        for c in channels:
            for msg in channel_messages(server.port, c):
                mm = pat.search(msg.get("text", ""))
                if not mm:
                    continue
                i = int(mm.group(1))
                if i not in res["sent_at"]:
                    continue
                found += 1
                lat.append(1000 * (msg["receivedAt"] - res["sent_at"][i]))
                lat_sched.append(1000 * (msg["receivedAt"] - res["scheduled"][i]))
        lat.sort()
        lat_sched.sort()
        intake_lat = sorted(1000 * (res["answered_at"][i] - res["sent_at"][i]) for i in accepted_ids)
        return {
            "target_rate": a.rate, "seconds": a.latency_seconds, "channels": k, "planned_events": n,
            "events_sent": len(res["sent_at"]), "events_accepted": accepted, "non_202": other,
            "achieved_rate": round(len(send_times) / send_span, 1),
            "posts_expected": accepted * k, "posts_found": found, "missing": accepted * k - found, "complete": complete,
            "note": None if complete else f"not every post arrived within --drain-timeout {a.drain_timeout:g} s: "
                                           "the percentiles cover only the posts that did (they understate the latency)",
            "p50_ms": round(percentile(lat, 50), 1) if lat else None,
            "p90_ms": round(percentile(lat, 90), 1) if lat else None,
            "p99_ms": round(percentile(lat, 99), 1) if lat else None,
            "max_ms": round(lat[-1], 1) if lat else None,
            "late_over_250ms": sum(1 for x in lat if x > 250),
            "p99_from_schedule_ms": round(percentile(lat_sched, 99), 1) if lat_sched else None,
            "intake_p50_ms": round(percentile(intake_lat, 50), 1) if intake_lat else None,
            "intake_p99_ms": round(percentile(intake_lat, 99), 1) if intake_lat else None,
            "delivery_attempt_mean_ms": delivery_attempt_mean_ms(m), "events": request_stats(m, "/api/v1/events"),
            "intake_transactions": group_commits(m, "intake"), "claim_transactions": group_commits(m, "claims"),
            "completion_transactions": group_commits(m, "completions"),
            "cpu": cpu_res, "pg_top": ctx.pg_top(run),
        }
    finally:
        run.close()


# --- 4. memory ---------------------------------------------------------------------------------------------

def scenario_memory(ctx: Context) -> dict:
    a = ctx.args
    run = Run(ctx, "memory")
    try:
        channel = f"mem{ctx.run_id}"
        if a.memory_slack == "external":
            # Slack: a second herald with --sandbox (its own SQLite), reached over HTTP like real Slack.
            slack = run.herald(sandbox=True, name="slack-emulator", db_url=f"sqlite://{run.dir / 'emulator.sqlite'}")
            slack.banner()
            bot = must(201, http("POST", slack.port, "/sandbox/control/bot-tokens"), "sandbox bot token")["token"]
            must(201, http("POST", slack.port, "/sandbox/control/channels", body={"name": channel}), "sandbox channel")
            admin_token = "hrd_bench_" + secrets.token_urlsafe(32)
            server = run.herald(sandbox=False, extra={
                "HERALD_CHANNEL_RATE": "0", "HERALD_SLACK_API_URL": f"http://{HOST}:{slack.port}/sandbox/api",
                "HERALD_ADMIN_EMAIL": "bench@herald.local", "HERALD_ADMIN_TOKEN": admin_token})
            org = must(201, http("POST", server.port, "/api/v1/orgs", admin_token, {"name": "Bench"}), "create org")["id"]
            project = must(201, http("POST", server.port, f"/api/v1/orgs/{org}/projects", admin_token, {"name": "Memory"}),
                           "create project")["id"]
            key = must(201, http("POST", server.port, f"/api/v1/projects/{project}/keys", admin_token, {"name": "bench"}),
                       "create event key")["key"]
            must(200, http("PUT", server.port, f"/api/v1/projects/{project}/settings/slack", admin_token,
                           {"enabled": True, "token": bot, "channels": "#" + channel}), "set Slack settings")
            slack_port = slack.port
        else:
            server = run.herald(sandbox=True, extra={"HERALD_CHANNEL_RATE": "0"})
            demo = server.banner()
            must(201, http("POST", server.port, "/sandbox/control/channels", body={"name": channel}), "sandbox channel")
            spread_channels(server, demo, [channel])
            key = demo["key"]
            slack_port = server.port
        time.sleep(1.0)
        start_mem = server.memory()
        n = a.incidents
        prefix = f"mem-{ctx.run_id}"

        def make(i):
            return event_request(server.port, key, {"type": "incident", "action": "trigger", "key": f"{prefix}-{i}",
                                                    "title": f"Bench incident {i}", "severity": "critical",
                                                    "description": "Memory benchmark: an open incident with a living message.",
                                                    "tags": {"bench": "memory", "n": str(i)}})
        ctx.pg_reset()
        t0 = time.monotonic()
        base_ok, base_bad = sent_deliveries(server.port)
        cpu = CpuMeter([server.pid], ctx.pg, run.pgdb).start()
        res = send_many(server.port, n, make, a.connections, a.memory_timeout)
        accepted, other = summarize_statuses(res)
        opened = sum(1 for b in res["bodies"].values() if b'"opened"' in b)
        rss_samples = []
        remaining = max(5.0, a.memory_timeout - (time.monotonic() - t0))
        ok, bad, complete = wait_for_deliveries(server.port, base_ok + base_bad + opened, remaining,
                                                sample=lambda: rss_samples.append(server.memory().get("VmRSS", 0)), every=0.5)
        time.sleep(1.0)
        end_mem = server.memory()
        cpu_res = cpu.stop()
        posted = len(channel_messages(slack_port, channel))
        return {
            "incidents_planned": n, "events_accepted": accepted, "incidents_opened": opened, "non_202": other,
            "posts_sent": int(ok - base_ok), "posts_in_slack": posted, "failed": int(bad - base_bad), "complete": complete,
            "note": None if complete else f"not every post was sent within --memory-timeout {a.memory_timeout:g} s",
            "slack": a.memory_slack, "rss_at_start_mib": mib(start_mem.get("VmRSS")),
            "rss_at_end_mib": mib(end_mem.get("VmRSS")), "peak_mib": mib(end_mem.get("VmHWM")),
            "elapsed_s": round(time.monotonic() - t0, 1), "cpu": cpu_res, "pg_top": ctx.pg_top(run),
        }
    finally:
        run.close()


# --- driver ------------------------------------------------------------------------------------------------

# --- 5. an Alertmanager burst, against Alertmanager ----------------------------------------------------------

class Prober:
    """Tenant B: one request at a time, in a loop (bounded), recording each wait."""

    def __init__(self, send, limit: int = 20000, pause: float = 0.02):
        self.send, self.limit, self.pause = send, limit, pause
        self.samples: list[tuple[float, float, int]] = []  # (start, seconds, status)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set() and len(self.samples) < self.limit:
            t0 = time.monotonic()
            try:
                status = self.send()
            except OSError:
                status = 0
            self.samples.append((t0, time.monotonic() - t0, status))
            time.sleep(self.pause)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=60)

    def during(self, t0: float, t1: float) -> dict:
        """Waits of the requests in flight at any moment of [t0, t1]."""
        waits = sorted(d for start, d, _ in self.samples if start <= t1 and start + d >= t0)
        bad = sum(1 for start, d, st in self.samples if start <= t1 and start + d >= t0 and not (200 <= st < 300))
        return {"requests": len(waits), "max_ms": round(waits[-1] * 1000, 1) if waits else None,
                "p99_ms": round(percentile(waits, 99) * 1000, 1) if waits else None,
                "p50_ms": round(percentile(waits, 50) * 1000, 1) if waits else None, "not_2xx": bad}


def post_json(port: int, path: str, body: bytes, headers: dict[str, str], timeout: float = 600.0) -> tuple[int, bytes]:
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=body, method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def burst(port: int, path: str, body: bytes, headers: dict[str, str], probe) -> dict:
    prober = Prober(probe).start()
    time.sleep(0.5)
    t0 = time.monotonic()
    status, answer = post_json(port, path, body, headers)
    t1 = time.monotonic()
    time.sleep(0.3)
    prober.stop()
    return {"status": status, "answered_s": round(t1 - t0, 2), "body_kb": round(len(body) / 1024), "other_tenant": prober.during(t0, t1),
            "answer": None if 200 <= status < 300 else answer[:300].decode(errors="replace")}


def scenario_alertmanager(ctx: Context) -> dict:
    a = ctx.args
    n = a.am_alerts
    run = Run(ctx, "alertmanager")
    out: dict = {"alerts": n}
    try:
        admin = "hrd_bench_" + secrets.token_urlsafe(32)
        server = run.herald(sandbox=False, extra={"HERALD_ADMIN_EMAIL": "bench@herald.local", "HERALD_ADMIN_TOKEN": admin})
        keys = []
        for tenant in ("A", "B"):
            org = must(201, http("POST", server.port, "/api/v1/orgs", admin, {"name": f"Tenant {tenant}"}), "create org")["id"]
            project = must(201, http("POST", server.port, f"/api/v1/orgs/{org}/projects", admin, {"name": "Alerts"}), "project")["id"]
            keys.append(must(201, http("POST", server.port, f"/api/v1/projects/{project}/keys", admin, {"name": "bench"}), "key")["key"])
        key_a, key_b = keys
        probe_body = json.dumps({"type": "notification", "title": "Tenant B is still served"}).encode()

        def probe():
            return post_json(server.port, "/api/v1/events", probe_body, {"Authorization": f"Bearer {key_b}"}, timeout=60)[0]

        one = [{"status": "firing", "labels": {"alertname": "DiskFull"}}] * n
        distinct = [{"status": "firing", "labels": {"alertname": "DiskFull", "i": str(i)}} for i in range(n)]
        for name, alerts in (("one_label_set", one), ("distinct_new", distinct), ("distinct_again", distinct)):
            body = json.dumps({"version": "4", "status": "firing", "alerts": alerts}, separators=(",", ":")).encode()
            out[name] = burst(server.port, "/api/v1/alertmanager", body, {"Authorization": f"Bearer {key_a}"}, probe)
            print(f"   herald {name}: {json.dumps(out[name])}", flush=True)
    finally:
        run.close()
    amp = shutil.which("prometheus-alertmanager") or ("/usr/bin/prometheus-alertmanager" if os.path.exists("/usr/bin/prometheus-alertmanager") else None)
    if not amp:
        out["alertmanager"] = {"error": "prometheus-alertmanager is not installed (apt-get install -y prometheus-alertmanager)"}
        return out
    am_dir = ctx.workdir / "alertmanager"
    am_dir.mkdir(exist_ok=True)
    (am_dir / "am.yml").write_text("route:\n  receiver: none\nreceivers:\n  - name: none\n")
    am_port = free_port()
    log = open(am_dir / "am.log", "wb")
    proc = _spawn([amp, f"--config.file={am_dir / 'am.yml'}", f"--storage.path={am_dir}", f"--web.listen-address={HOST}:{am_port}",
                   "--cluster.listen-address="], cwd=am_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if http("GET", am_port, "/-/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        probe_alert = json.dumps([{"labels": {"alertname": "TenantB"}}]).encode()

        def am_probe():
            return post_json(am_port, "/api/v2/alerts", probe_alert, {}, timeout=60)[0]

        am = {}
        for name, alerts in (("one_label_set", [{"labels": {"alertname": "DiskFull"}}] * n),
                             ("distinct_new", [{"labels": {"alertname": "DiskFull", "i": str(i)}} for i in range(n)])):
            body = json.dumps(alerts, separators=(",", ":")).encode()
            am[name] = burst(am_port, "/api/v2/alerts", body, {}, am_probe)
            print(f"   alertmanager {name}: {json.dumps(am[name])}", flush=True)
        out["alertmanager"] = am
        for name in am:
            h, p = out.get(name, {}), am[name]
            if h.get("answered_s") and p.get("answered_s"):
                out.setdefault("ratios_herald_over_alertmanager", {})[name] = {
                    "answered": round(h["answered_s"] / p["answered_s"], 2),
                    "other_tenant_max": (round(h["other_tenant"]["max_ms"] / p["other_tenant"]["max_ms"], 2)
                                         if h["other_tenant"]["max_ms"] and p["other_tenant"]["max_ms"] else None)}
    finally:
        _stop_proc(proc)
        log.close()
    return out


SCENARIOS = {"1": ("intake", scenario_intake), "2": ("fanout", scenario_fanout),
             "3": ("latency", scenario_latency), "4": ("memory", scenario_memory), "5": ("alertmanager", scenario_alertmanager)}


def verdict(name: str, value) -> str:
    op, target = TARGETS[name]
    if value is None:
        return "n/a"
    return "ok" if (value >= target if op == ">=" else value <= target) else "MISS"


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        v = f"{v:,.1f}"
    elif isinstance(v, int):
        v = f"{v:,}"
    return f"{v}{unit}"


def table(results: dict, label: str) -> str:
    rows = [("metric", "target (SQLite)", *results.keys())]

    def get(db, scen, key):
        return (results[db].get(scen) or {}).get(key) if isinstance(results[db].get(scen), dict) else None

    spec = [
        ("events accepted/s (202s)", "intake", "events_per_s", ">= 3,000", "intake_events_per_s", ""),
        ("deliveries/s, 200 channels", "fanout", "deliveries_per_s", ">= 2,000", "fanout_deliveries_per_s", ""),
        ("event-to-post p50", "latency", "p50_ms", "", None, " ms"),
        ("event-to-post p99", "latency", "p99_ms", "<= 250 ms", "latency_p99_ms", " ms"),
        ("event-to-post max", "latency", "max_ms", "", None, " ms"),
        ("  posts late (>250 ms) / not posted in time", "latency", None, "", None, ""),
        ("  achieved event rate", "latency", "achieved_rate", "", None, "/s"),
        ("peak memory, N open incidents", "memory", "peak_mib", "<= 150 MiB", "memory_peak_mib", " MiB"),
    ]
    for title, scen, key, target, tname, unit in spec:
        cells = []
        for db in results:
            r = results[db].get(scen)
            if not isinstance(r, dict):
                cells.append("-")
                continue
            if "error" in r:
                cells.append("error")
                continue
            if key is None:
                cells.append(f"{fmt(r.get('late_over_250ms'))} / {fmt(r.get('missing'))}")
                continue
            v = r.get(key)
            cell = fmt(v, unit)
            if tname and db == "sqlite":
                cell += f" [{verdict(tname, v)}]"
            cells.append(cell)
        rows.append((title, target, *cells))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = [f"Herald benchmark — {label}"]
    for j, r in enumerate(rows):
        lines.append("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def guess_label(path: str) -> str:
    if "/release/" in path:
        return "release"
    if "/debug/" in path:
        return "debug"
    return "unknown build"


def main() -> int:
    p = argparse.ArgumentParser(description="Herald benchmark (SQLite and PostgreSQL); see the module docstring.")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--quick", action="store_true", help="smaller counts: a smoke run of every measurement")
    p.add_argument("--bin", default=os.environ.get("HERALD_BIN") or str(REPO / ".build" / "release" / "herald"),
                   help="the herald binary (default $HERALD_BIN, else <repo>/.build/release/herald)")
    p.add_argument("--build-label", default=None, help="how to label the figures (default: guessed from --bin)")
    p.add_argument("--only", default="1,2,3,4", help="which measurements: 1 intake, 2 fan-out, 3 latency, 4 memory, 5 alertmanager")
    p.add_argument("--json", default="bench-results.json", help="where to write the results (default ./bench-results.json)")
    p.add_argument("--client", choices=["auto", "wrk", "python"], default="auto", help="intake load generator")
    p.add_argument("--connections", type=int, default=32, help="concurrent clients for intake and memory")
    p.add_argument("--events", type=int, help="1: events to send (default 20000; quick 2000)")
    p.add_argument("--intake-seconds", type=float, help="1: time bound (default 60; quick 20)")
    p.add_argument("--intake-channel-rate", type=float, default=None,
                   help="1: HERALD_CHANNEL_RATE during intake (default: Herald's default, 1/s per channel)")
    p.add_argument("--channels", type=int, default=200, help="2: Slack channels (default 200)")
    p.add_argument("--fanout-rounds", type=int, help="2: rounds of one notification per project (default 100 = 20,000 deliveries; quick 10)")
    p.add_argument("--fanout-timeout", type=float, help="2: time bound (default 180; quick 60)")
    p.add_argument("--rate", type=float, default=500.0, help="3: events per second (default 500)")
    p.add_argument("--latency-seconds", type=float, help="3: how long (default 20; quick 5)")
    p.add_argument("--latency-channels", type=int, default=3, help="3: channels each event goes to (default 3)")
    p.add_argument("--latency-connections", type=int, default=64, help="3: client connections (default 64)")
    p.add_argument("--drain-timeout", type=float, default=60.0, help="3: how long to wait for the last posts (default 60)")
    p.add_argument("--incidents", type=int, help="4: open incidents (default 10000; quick 1000)")
    p.add_argument("--memory-timeout", type=float, help="4: time bound (default 300; quick 120)")
    p.add_argument("--memory-slack", choices=["external", "inprocess"], default="external",
                   help="4: Slack emulation in a separate process (default) or Herald's own --sandbox")
    p.add_argument("--pg-durable", action="store_true", help="PostgreSQL with synchronous_commit=on (default off)")
    p.add_argument("--sqlite-synchronous", choices=["full", "normal", "both"], default="full",
                   help="SQLite's HERALD_SQLITE_SYNCHRONOUS (default full, Herald's default); both: each SQLite measurement twice")
    p.add_argument("--am-alerts", type=int, default=15000, help="5: alerts in the payload (default 15000)")
    p.add_argument("--keep", action="store_true", help="keep the temp dir with logs and databases")
    a = p.parse_args()

    q = a.quick
    a.events = a.events or (2000 if q else 20000)
    a.intake_seconds = a.intake_seconds or (20 if q else 60)
    a.fanout_rounds = a.fanout_rounds or (10 if q else 100)
    a.fanout_timeout = a.fanout_timeout or (60 if q else 180)
    a.latency_seconds = a.latency_seconds or (5 if q else 20)
    a.incidents = a.incidents or (1000 if q else 10000)
    a.memory_timeout = a.memory_timeout or (120 if q else 300)
    a.bin = os.path.abspath(a.bin)
    label = a.build_label or guess_label(a.bin)
    if not (os.path.isfile(a.bin) and os.access(a.bin, os.X_OK)):
        print(f"herald binary not found at {a.bin}: `make bench` builds it (swift build -c release), or pass --bin", file=sys.stderr)
        return 2
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    if any(s not in SCENARIOS for s in only):
        print("--only takes numbers among 1,2,3,4,5", file=sys.stderr)
        return 2
    sqlite_dbs = {"full": ["sqlite"], "normal": ["sqlite-normal"], "both": ["sqlite", "sqlite-normal"]}[a.sqlite_synchronous]
    dbs = (sqlite_dbs + ["postgres"]) if a.db == "both" else (sqlite_dbs if a.db == "sqlite" else ["postgres"])

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    workdir = Path(tempfile.mkdtemp(prefix="herald-bench."))
    keep = {"dir": a.keep}

    def remove_workdir():
        if not keep["dir"]:
            shutil.rmtree(workdir, ignore_errors=True)
    _CLEANUPS.insert(0, remove_workdir)
    cores = os.cpu_count()
    client_note = ("wrk" if (a.client != "python" and shutil.which("wrk")) else
                   "python asyncio; `apt-get install -y wrk` for a lighter one") + " for intake"
    print(f"Herald benchmark: {a.bin} ({label}), databases: {', '.join(dbs)}, {'quick' if q else 'full'} run")
    print(f"NOTE: this machine has {cores} CPU cores, shared by the load generator ({client_note}), Herald, "
          f"its Slack sandbox{' and PostgreSQL' if 'postgres' in dbs else ''}; figures are lower than on a dedicated server.")
    if label != "release":
        print(f"NOTE: a {label} binary; targets apply to a release build (`make bench` builds one).")
    results: dict[str, dict] = {}
    started = time.time()
    keep_logs = False
    try:
        for db in dbs:
            results[db] = {}
            pg = None
            if db == "postgres":
                try:
                    pg = PgCluster(durable=a.pg_durable)
                    pg.start()
                    print(f"\n== PostgreSQL: throwaway cluster on {HOST}:{pg.port} ({pg.bin})")
                except Exception as err:  # noqa: BLE001
                    print(f"\n== PostgreSQL unavailable: {err}")
                    results[db] = {SCENARIOS[s][0]: {"error": str(err)} for s in only}
                    continue
            else:
                print(f"\n== SQLite, synchronous={'NORMAL' if db == 'sqlite-normal' else 'FULL'}")
            ctx = Context(a, db, pg, workdir)
            try:
                for s in only:
                    name, fn = SCENARIOS[s]
                    t = time.time()
                    print(f"-- {s}. {name} ...", flush=True)
                    try:
                        r = fn(ctx)
                    except Exception as err:  # noqa: BLE001 - report and go on with the next measurement
                        r = {"error": f"{type(err).__name__}: {err}"[:3000]}
                    r["duration_s"] = round(time.time() - t, 1)
                    if ctx.last_run is not None:
                        r["server_exit"] = ctx.last_run.exits
                        ctx.last_run = None
                    keep_logs = keep_logs or ctx.keep_logs
                    results[db][name] = r
                    show = {k: v for k, v in r.items() if k != "pg_top"}
                    print("   " + json.dumps(show, default=str))
                    for row in (r.get("pg_top") or [])[:4]:
                        if "error" not in row:
                            print(f"     pg: {row['total_ms']:>9.1f} ms total, {row['calls']:>7} calls, {row['mean_ms']:.3f} ms mean: {row['query'][:110]}")
            finally:
                if pg:
                    pg.stop()
    finally:
        if keep_logs and not a.keep:
            keep["dir"] = True
            print(f"\nNOTE: a Herald process crashed; its logs are kept in {workdir}")
        elif a.keep:
            print(f"\nlogs and databases kept in {workdir}")
        cleanup_all()

    text = table(results, f"{label} build, {'quick' if q else 'full'} run, {cores} cores shared by client and server")
    print("\n" + text)
    doc = {
        "meta": {"binary": a.bin, "build": label, "quick": q, "databases": dbs, "cores": cores,
                 "machine": platform.platform(), "python": platform.python_version(),
                 "started": _dt.datetime.fromtimestamp(started, _dt.timezone.utc).isoformat(),
                 "duration_s": round(time.time() - started, 1),
                 "note": f"{cores} cores shared by the load generator, Herald, the Slack sandbox"
                         + (" and PostgreSQL" if "postgres" in dbs else ""),
                 "parameters": {k: v for k, v in vars(a).items() if k not in ("json",)}},
        "targets_sqlite_release": {k: f"{op} {v:g}" for k, (op, v) in TARGETS.items()},
        "results": results,
        "table": text.splitlines(),
    }
    with open(a.json, "w") as f:
        json.dump(doc, f, indent=2, default=str)
    print(f"\nwrote {os.path.abspath(a.json)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
