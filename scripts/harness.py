#!/usr/bin/env python3
"""The one harness for everything that runs Herald as a process: the test command
(scripts/test.sh), the end-to-end tests (tests/e2e/conftest.py) and the benchmarks
(scripts/bench.py, scripts/bench_compare.py). Standard library only; loopback only.

  PgCluster            a throwaway PostgreSQL cluster under a temp dir, on a free loopback port,
                       run as the `postgres` user when we are root (Debian's package makes it)
  HeraldProcess        one `herald serve` (or any herald command that serves), its port and logs
  SlackSandboxProcess  `slack-sandbox serve --port P`: Slack in a process of its own
  Processes            every process started here, stopped (SIGTERM, then SIGKILL) on exit

As a command:

  python3 scripts/harness.py with-postgres -- COMMAND [ARGS...]

starts a cluster, runs COMMAND with HERALD_TEST_POSTGRES_URL set to a database on it (the one
name every test reads), stops the cluster, and exits with COMMAND's status.

  python3 scripts/harness.py watchdog [--idle SECONDS] -- COMMAND [ARGS...]

runs COMMAND, passing its output through; if it prints nothing for --idle seconds (default 180)
it is taken as hung: the threads of every process it started are dumped with gdb (when
installed), the dump is printed on stderr (and kept in herald-watchdog-<pid>.txt), the whole
process group is killed, and the watchdog exits 124. A hang is a failure, never retried: a
deadlock in Herald must not pass as a slow minute.
"""

from __future__ import annotations

import atexit
import glob
import json
import os
import re
import secrets
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

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
#: The variable every test (Swift and end-to-end) reads for its PostgreSQL server.
POSTGRES_URL_VARIABLE = "HERALD_TEST_POSTGRES_URL"


class HarnessError(RuntimeError):
    """Something the harness started did not come up (its logs are in the message)."""


# --- processes ----------------------------------------------------------------------------------

class Processes:
    """Every child and cleanup registered here is stopped when the interpreter exits or is signalled."""

    children: list[subprocess.Popen] = []
    cleanups: list = []
    _installed = False

    @classmethod
    def install(cls) -> None:
        if cls._installed:
            return
        cls._installed = True
        atexit.register(cls.stop_all)
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                signal.signal(sig, cls._on_signal)
            except ValueError:  # not the main thread (pytest workers): atexit still runs
                pass

    @classmethod
    def _on_signal(cls, signum, _frame):
        cls.stop_all()
        sys.exit(128 + signum)

    @classmethod
    def spawn(cls, argv: list[str], **kw) -> subprocess.Popen:
        cls.install()
        proc = subprocess.Popen(argv, **kw)
        cls.children.append(proc)
        return proc

    @classmethod
    def stop(cls, proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        if proc in cls.children:
            cls.children.remove(proc)
        return proc.returncode

    @classmethod
    def stop_all(cls) -> None:
        for proc in list(reversed(cls.children)):
            try:
                cls.stop(proc, timeout=10)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        while cls.cleanups:
            fn = cls.cleanups.pop()
            try:
                fn()
            except Exception:  # noqa: BLE001
                pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- HTTP ---------------------------------------------------------------------------------------

#: Never a proxy: every request goes straight to 127.0.0.1, whatever http_proxy says.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def request(method: str, port: int, path: str, token: str | None = None, body=None, timeout: float = 30.0,
            raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """One HTTP request to 127.0.0.1:port: (status, headers, body bytes). `body` is sent as JSON."""
    sent = {"Accept": "application/json", **(headers or {})}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    elif raw is not None:
        sent.setdefault("Content-Type", "application/json")
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=data, headers=sent, method=method)
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def herald_env(base: dict[str, str] | None = None, **overrides: str | None) -> dict[str, str]:
    """The caller's environment without any HERALD_* variable (so nothing leaks in), plus overrides;
    an override of None removes the variable."""
    env = {k: v for k, v in (base if base is not None else os.environ).items() if not k.startswith("HERALD_")}
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class RawConn:
    """One HTTP/1.1 keep-alive connection to 127.0.0.1 (asyncio), for load clients that must cost little."""

    def __init__(self, port: int):
        self.port = port
        self.reader = None
        self.writer = None

    def close(self):
        if self.writer:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, data: bytes, timeout: float) -> tuple[int, bytes]:
        import asyncio
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        try:
            self.writer.write(data)
            return await asyncio.wait_for(self._read(), timeout)
        except BaseException:
            self.close()
            raise

    async def _read(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        body = b""
        i = lower.find(b"\r\ncontent-length:")
        if i >= 0:
            n = int(head[i + 17: head.index(b"\r\n", i + 2)])
            body = await self.reader.readexactly(n)
        elif b"transfer-encoding: chunked" in lower:
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            body = b"".join(chunks)
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, body


def post_request(port: int, path: str, payload: bytes, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one keep-alive `POST path` with a JSON body."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{extra}Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload


def send_all(port: int, requests: list[bytes], concurrency: int, timeout: float = 120.0, deadline: float = 600.0) -> list[dict]:
    """Sends every request (bounded: `deadline` seconds in all) over `concurrency` keep-alive
    connections; returns, per request in order, {"sent", "answered" (wall clock), "status", "body"}."""
    import asyncio

    async def run() -> list[dict]:
        loop = asyncio.get_running_loop()
        out: list[dict] = [{"sent": None, "answered": None, "status": None, "body": b""} for _ in requests]
        state = {"next": 0}
        stop_at = loop.time() + deadline

        async def worker():
            conn = RawConn(port)
            try:
                while state["next"] < len(requests) and loop.time() < stop_at:
                    i = state["next"]
                    state["next"] += 1
                    out[i]["sent"] = time.time()
                    try:
                        out[i]["status"], out[i]["body"] = await conn.send(requests[i], timeout)
                    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as err:
                        out[i]["status"], out[i]["body"] = -1, repr(err).encode()
                    out[i]["answered"] = time.time()
            finally:
                conn.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return out

    return asyncio.run(run())


def proc_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss_mib(pid: int) -> float | None:
    """VmHWM of a live process, in MiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# --- PostgreSQL ---------------------------------------------------------------------------------

def pg_bin() -> str:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
    if not bins or not os.access(os.path.join(bins[-1], "initdb"), os.X_OK):
        raise HarnessError("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb); "
                           "`make test` installs it, or: apt-get install -y postgresql")
    return bins[-1]


class PgCluster:
    """A throwaway cluster with a `herald` superuser (trust auth) and a `herald_test` database.

    `fast` turns off fsync (tests: nothing must survive the machine); `statements` loads
    pg_stat_statements (benchmarks: where the time goes)."""

    def __init__(self, fast: bool = True, statements: bool = False, max_connections: int = 1200):
        self.bin = pg_bin()
        self.fast, self.statements, self.max_connections = fast, statements, max_connections
        self.tmp = tempfile.mkdtemp(prefix="herald-pg.")
        self.port = free_port()
        self.root = os.geteuid() == 0
        self.started = False
        #: More `-c name=value` server options.
        self.extra_options = ""

    def _as_pg(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self.root else argv

    def _run(self, argv: list[str], what: str) -> None:
        r = subprocess.run(self._as_pg(argv), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            log = Path(self.tmp, "server.log")
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise HarnessError(f"{what} failed:\n{r.stdout}\n{r.stderr}\n{tail}")

    def start(self) -> "PgCluster":
        if self.root:
            shutil.chown(self.tmp, "postgres", "postgres")
        data = os.path.join(self.tmp, "data")
        self._run([f"{self.bin}/initdb", "-D", data, "-U", "herald", "--auth=trust", "-E", "UTF8"], "initdb")
        opts = f"-p {self.port} -k {self.tmp} -c listen_addresses={HOST} -c max_connections={self.max_connections}"
        if self.fast:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        if self.extra_options:
            opts += " " + self.extra_options
        if self.statements:
            opts += " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c shared_buffers=256MB"
        Processes.install()
        Processes.cleanups.append(self.stop)
        self.started = True
        self._run([f"{self.bin}/pg_ctl", "-D", data, "-l", os.path.join(self.tmp, "server.log"), "-w", "-t", "60", "start",
                   "-o", opts], "pg_ctl start")
        self.psql("postgres", "CREATE DATABASE herald_test")
        if self.statements:
            self.psql("postgres", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return self

    def url(self, db: str = "herald_test") -> str:
        return f"postgres://herald@{HOST}:{self.port}/{db}"

    def postmaster_pid(self) -> int | None:
        try:
            return int(Path(self.tmp, "data", "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def psql(self, db: str, sql: str) -> str:
        return psql(self.url(db), sql, psql_path=f"{self.bin}/psql")

    def create_db(self, prefix: str = "herald") -> str:
        name = f"{prefix}_{secrets.token_hex(6)}"
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return name

    def drop_db(self, name: str) -> None:
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        subprocess.run(self._as_pg([f"{self.bin}/pg_ctl", "-D", os.path.join(self.tmp, "data"), "-m", "immediate", "-w", "stop"]),
                       capture_output=True, timeout=90, stdin=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)


def psql(url: str, sql: str, timeout: float = 120.0, psql_path: str = "psql", separator: str = "\t") -> str:
    """One SQL command through psql (unaligned, tuples only, fields split by `separator`); raises on failure."""
    r = subprocess.run([psql_path, url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", separator, "-c", sql],
                       capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    if r.returncode != 0:
        raise HarnessError(f"psql failed ({r.returncode}) for {sql!r}:\n{r.stderr}")
    return r.stdout


# --- Herald and Slack processes ---------------------------------------------------------------------

class HeraldProcess:
    """One long-running herald command (default `serve --hostname 127.0.0.1 --port P`), its logs in `cwd`."""

    def __init__(self, binary: str, cwd: Path, env: dict[str, str], port: int | None = None,
                 args: list[str] | None = None, name: str = "herald", sandbox: bool = False):
        self.port = port if port is not None else free_port()
        self.cwd, self.name = Path(cwd), name
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.args = args if args is not None else (["serve", "--hostname", HOST, "--port", str(self.port)]
                                                   + (["--sandbox"] if sandbox else []))
        self.stdout_path = self.cwd / f"{name}.{self.port}.stdout.log"
        self.stderr_path = self.cwd / f"{name}.{self.port}.stderr.log"
        self._stdout = open(self.stdout_path, "wb")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = Processes.spawn([binary, *self.args], cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=self._stdout, stderr=self._stderr)
        self.pid = self.proc.pid

    def logs(self, limit: int = 4000) -> str:
        out = []
        for label, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            try:
                text = path.read_bytes().decode("utf-8", "replace")
            except OSError:
                text = ""
            out.append(f"--- {self.name} {label} (last {limit} chars) ---\n{text[-limit:]}")
        return "\n".join(out)

    def wait_healthy(self, timeout: float = 60.0) -> dict:
        """Polls GET /healthz until 200; raises HarnessError if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise HarnessError(f"{self.name} exited with code {code} before becoming healthy\n{self.logs()}")
            try:
                status, _, body = request("GET", self.port, "/healthz", timeout=2.0)
                if status == 200:
                    return json.loads(body)
                last = f"HTTP {status}"
            except OSError as err:
                last = repr(err)
            time.sleep(0.2)
        raise HarnessError(f"{self.name} on port {self.port} not healthy within {timeout:.0f} s (last: {last})\n{self.logs()}")

    def stop(self, sig=signal.SIGTERM, timeout: float = 10.0) -> int | None:
        code = Processes.stop(self.proc, sig=sig, timeout=timeout)
        for f in (self._stdout, self._stderr):
            if not f.closed:
                f.close()
        return code


class SlackSandboxProcess:
    """`slack-sandbox serve --port P`: a Slack workspace in its own process (its CPU is nobody's, and it
    outlives the Herald processes a test kills)."""

    def __init__(self, binary: str, cwd: Path, timeout: float = 60.0):
        self.port = free_port()
        self.log_path = Path(cwd) / f"slack-sandbox.{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = Processes.spawn([binary, "serve", "--hostname", HOST, "--port", str(self.port)], cwd=cwd,
                                    stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=herald_env())
        self.pid = self.proc.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"slack-sandbox exited with {self.proc.returncode}\n{self.logs()}")
            try:
                if request("GET", self.port, "/sandbox", timeout=2.0)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise HarnessError(f"slack-sandbox did not answer within {timeout:.0f} s\n{self.logs()}")

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}/sandbox/api"

    def bot_token(self) -> str:
        status, _, body = request("POST", self.port, "/sandbox/control/bot-tokens", body={})
        if status != 201:
            raise HarnessError(f"bot token: HTTP {status} {body[:300]!r}")
        return json.loads(body)["token"]

    def add_channel(self, name: str) -> str:
        status, _, body = request("POST", self.port, "/sandbox/control/channels", body={"name": name})
        if status != 201:
            raise HarnessError(f"channel {name}: HTTP {status} {body[:300]!r}")
        return json.loads(body)["id"]

    def messages(self, channel: str) -> list[dict]:
        from urllib.parse import quote
        status, _, body = request("GET", self.port, f"/sandbox/control/channels/{quote(channel, safe='')}/messages")
        if status != 200:
            raise HarnessError(f"messages of {channel}: HTTP {status} {body[:300]!r}")
        return json.loads(body)["messages"]

    def logs(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        Processes.stop(self.proc, timeout=10)
        if not self._log.closed:
            self._log.close()


# --- the command line ---------------------------------------------------------------------------------

def descendants(pid: int) -> list[int]:
    """Every process below `pid`, parents before children (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(0), []):
            out.append(child)
            todo.append(child)
    return out


def watchdog(command: list[str], idle: float) -> int:
    """See the module's help: runs `command`; a stall is dumped, killed and fails (124)."""
    import select
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    last = time.monotonic()
    assert proc.stdout is not None
    while True:
        ready, _, _ = select.select([proc.stdout], [], [], 5.0)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                return proc.wait()
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            last = time.monotonic()
        elif time.monotonic() - last > idle:
            break
    dump = Path(tempfile.gettempdir()) / f"herald-watchdog-{proc.pid}.txt"
    # `swift test` runs the test binary in a process group of its own: every descendant.
    pids = [str(proc.pid)] + [str(p) for p in descendants(proc.pid)]
    with open(dump, "w") as out:
        for pid in pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            out.write(f"=== pid {pid}: {cmdline}\n")
            out.flush()
            if not shutil.which("gdb"):
                out.write("(gdb is not installed: no stacks)\n")
                continue
            try:
                subprocess.run(["gdb", "-p", pid, "-batch", "-ex", "thread apply all bt 40"], stdout=out,
                               stderr=subprocess.DEVNULL, timeout=120)
            except subprocess.TimeoutExpired:
                out.write("(gdb did not finish)\n")
    for pid in reversed(pids):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    text = dump.read_text(errors="replace")
    print(f"\nwatchdog: {' '.join(command)} printed nothing for {idle:.0f} s: hung. Its threads ({dump}):\n"
          f"{text[-60000:]}\nwatchdog: FAILED (a hang is never retried)", file=sys.stderr, flush=True)
    return 124


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "watchdog" and "--" in argv:
        options, command = argv[1:argv.index("--")], argv[argv.index("--") + 1:]
        idle = 180.0
        for i, option in enumerate(options):
            if option == "--idle":
                idle = float(options[i + 1])
        if command:
            return watchdog(command, idle)
    if len(argv) >= 2 and argv[0] == "with-postgres" and argv[1] == "--" and len(argv) > 2:
        cluster = PgCluster(fast=True).start()
        print(f"== PostgreSQL on {HOST}:{cluster.port} ({POSTGRES_URL_VARIABLE}={cluster.url()})", flush=True)
        try:
            return subprocess.run(argv[2:], env={**os.environ, POSTGRES_URL_VARIABLE: cluster.url()}).returncode
        finally:
            cluster.stop()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
