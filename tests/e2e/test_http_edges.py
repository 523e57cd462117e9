"""The HTTP edges of `herald serve`, on raw sockets (issue: strict intake and HTTP edges).

Every request that was applied is answered, even when junk follows it in the same write; bodies
of exactly 1 MiB are read and a Content-Length over it is refused at once; malformed requests get
a status line (400, 414, 431), not a bare close; a request that never finishes, or a connection
that sits idle, is closed after HERALD_HTTP_IDLE_TIMEOUT; `Expect: 100-continue` gets its `100`.
And the body readers hold one JSON grammar on every intake, judged by the same strict reference
on Python's `json` as the Swift tests (Tests/SlackAPITests/Fixtures/make_json_corpus.py).

Time here is waited for as events (an answer, a close), each with a bound; no test sleeps and hopes.
"""

from __future__ import annotations

import json
import random
import socket
import sys
import time
from pathlib import Path

import pytest

from conftest import ADMIN_TOKEN, REPO, free_port, herald_env, http

sys.path.insert(0, str(REPO / "Tests" / "SlackAPITests" / "Fixtures"))
import make_json_corpus  # noqa: E402

IDLE = 2  # HERALD_HTTP_IDLE_TIMEOUT for these servers, seconds
MIB = 1 << 20


@pytest.fixture(scope="module")
def server(herald_bin, tmp_path_factory):
    """One server for the module, with a short idle bound and a project's event key."""
    from conftest import HeraldServer

    cwd = tmp_path_factory.mktemp("edges")
    port = free_port()
    env = herald_env(HERALD_ADMIN_EMAIL="admin@example.com", HERALD_ADMIN_TOKEN=ADMIN_TOKEN,
                     HERALD_HTTP_IDLE_TIMEOUT=str(IDLE))
    proc = HeraldServer(herald_bin, cwd, env, port)
    proc.wait_healthy()
    org = http("POST", port, "/api/v1/orgs", token=ADMIN_TOKEN, body={"name": "Edges"}).json()["id"]
    project = http("POST", port, f"/api/v1/orgs/{org}/projects", token=ADMIN_TOKEN, body={"name": "Edges"}).json()["id"]
    key = http("POST", port, f"/api/v1/projects/{project}/keys", token=ADMIN_TOKEN, body={"name": "e2e"}).json()["key"]
    yield {"port": port, "key": key, "project": project, "proc": proc}
    assert proc.proc.poll() is None, f"herald died during the tests\n{proc.logs()}"
    proc.stop()


def connect(port: int, timeout: float = 15.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (bounded by the socket's timeout)."""
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    sock.close()
    return out


def responses(raw: bytes) -> list[tuple[int, dict, bytes]]:
    """The responses in `raw`, in order: (status, headers, body); interim 1xx ones too."""
    out = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        assert sep, f"an incomplete response: {raw[:300]!r}"
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:length]))
        raw = rest[length:]
    return out


def request(method: str, path: str, body: bytes = b"", key: str | None = None, content_type: str = "application/json",
            extra: str = "") -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def event(title: str) -> bytes:
    return json.dumps({"type": "notification", "title": title}).encode()


def test_an_applied_request_is_answered_before_the_junk_after_it_is_refused(server):
    for i in range(5):
        key = f"pipelined-{i}"
        body = json.dumps({"type": "incident", "action": "trigger", "key": key, "title": "pipelined"}).encode()
        sock = connect(server["port"])
        sock.sendall(request("POST", "/api/v1/events", body, key=server["key"]) + b"GARBAGE\r\n\r\n")
        got = responses(read_all(sock))
        assert [status for status, _, _ in got] == [202, 400], got
        assert json.loads(got[0][2])["outcome"] == "opened"
        assert got[1][1]["connection"] == "close"
        assert got[1][1]["content-type"] == "application/problem+json"
        # Applied once: the incident exists, with one trigger on its timeline.
        incident = http("GET", server["port"], f"/api/v1/incidents/{json.loads(got[0][2])['incidentId']}", token=ADMIN_TOKEN)
        assert incident.status == 200 and incident.json()["key"] == key, incident


def test_two_pipelined_requests_are_both_answered_in_order(server):
    sock = connect(server["port"])
    sock.sendall(request("POST", "/api/v1/events", event("one"), key=server["key"])
                 + request("GET", "/healthz", extra="Connection: close\r\n"))
    got = responses(read_all(sock))
    assert [status for status, _, _ in got] == [202, 200], got


def test_a_content_length_over_the_limit_is_refused_at_once_before_authentication(server):
    sock = connect(server["port"], timeout=IDLE * 5)
    started = time.monotonic()
    # No Authorization, and no body at all: the answer comes from the head.
    sock.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n")
    got = responses(read_all(sock))
    assert [status for status, _, _ in got] == [413], got
    assert time.monotonic() - started < IDLE, "refused from the head, not after the idle bound"
    assert "1 MiB" in json.loads(got[0][2])["detail"]


def test_exactly_one_mebibyte_is_read_and_one_byte_more_is_refused(server):
    head = b'{"type":"notification","title":"big","pad":"'
    body = head + b"a" * (MIB - len(head) - 2) + b'"}'
    assert len(body) == MIB
    for payload, status in [(body, 202), (body[:-2] + b'a"}', 413)]:
        sock = connect(server["port"])
        sock.sendall(request("POST", "/api/v1/events", payload, key=server["key"], extra="Connection: close\r\n"))
        got = responses(read_all(sock))
        assert got[0][0] == status, (len(payload), got[0][:2], got[0][2][:300])
        if status == 413:
            assert "1,048,576 bytes" in json.loads(got[0][2])["detail"]


@pytest.mark.parametrize("raw, status", [
    (b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    (b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400),
    (b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
    (b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", 400),
    (b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", 431),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(100)) + b"\r\n", 431),
    (b"GARBAGE\r\n\r\n", 400),
], ids=["bad length", "repeated length", "two lengths", "bad chunk size", "long request line", "long header", "many headers", "junk"])
def test_a_malformed_request_gets_a_status_line_not_a_bare_close(server, raw, status):
    sock = connect(server["port"])
    sock.sendall(raw)
    got = responses(read_all(sock))
    assert [s for s, _, _ in got] == [status], got
    assert got[0][1]["connection"] == "close"


def test_an_unfinished_head_is_answered_408_and_closed_within_the_bound(server):
    for partial in [b"POST /api/v1/events HT", b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
                    b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\""]:
        sock = connect(server["port"], timeout=IDLE * 5)
        started = time.monotonic()
        sock.sendall(partial)
        got = responses(read_all(sock))
        waited = time.monotonic() - started
        assert [s for s, _, _ in got] == [408], (partial, got)
        assert IDLE * 0.9 <= waited < IDLE * 4, waited


def test_a_request_held_back_behind_another_has_its_own_bound(server):
    # The second head arrives with the first request; its body never does.
    sock = connect(server["port"], timeout=IDLE * 5)
    started = time.monotonic()
    sock.sendall(request("GET", "/healthz") + b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
    got = responses(read_all(sock))
    assert [s for s, _, _ in got] == [200, 408], got
    assert time.monotonic() - started < IDLE * 4


def test_a_trickled_head_does_not_extend_the_bound(server):
    sock = connect(server["port"], timeout=IDLE * 5)
    started = time.monotonic()
    closed = False
    for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 200:
        try:
            sock.send(bytes([byte]))
        except OSError:
            closed = True
            break
        # One byte per tenth of a second keeps any per-read timer alive, never the request's bound.
        time.sleep(0.1)
        if time.monotonic() - started > IDLE * 4:
            break
    assert closed or time.monotonic() - started < IDLE * 4
    assert time.monotonic() - started < IDLE * 4, "the server kept a trickling head open past its bound"
    sock.close()


def test_an_idle_connection_is_closed_without_an_answer(server):
    sock = connect(server["port"], timeout=IDLE * 5)
    started = time.monotonic()
    assert read_all(sock) == b""
    assert IDLE * 0.9 <= time.monotonic() - started < IDLE * 4
    # And one that was answered, then left idle.
    sock = connect(server["port"], timeout=IDLE * 5)
    sock.sendall(request("GET", "/healthz"))
    got = responses(read_all(sock))
    assert [s for s, _, _ in got] == [200]


def test_expect_100_continue_gets_its_interim_answer_then_the_final_one(server):
    body = event("continued")
    sock = connect(server["port"])
    head = (f"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server['key']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").encode()
    sock.sendall(head)
    interim = b""
    while b"\r\n\r\n" not in interim:
        chunk = sock.recv(1024)
        assert chunk, "closed before the interim answer"
        interim += chunk
    assert interim.startswith(b"HTTP/1.1 100 Continue\r\n"), interim
    sock.sendall(body)
    got = responses(interim.partition(b"\r\n\r\n")[2] + read_all(sock))
    assert [s for s, _, _ in got] == [202], got


def test_media_types_are_case_insensitive(server):
    for content_type in ["APPLICATION/JSON", "Application/Json; Charset=UTF-8"]:
        sock = connect(server["port"])
        sock.sendall(request("POST", "/api/v1/events", event("upper"), key=server["key"], content_type=content_type,
                             extra="Connection: close\r\n"))
        got = responses(read_all(sock))
        assert [s for s, _, _ in got] == [202], (content_type, got)


# --- one grammar, on every intake ------------------------------------------------------------------

def _documents(key: str):
    """The reference's documents, each wrapped for the three intakes where an ignored field sits."""
    rng = random.Random(8259)
    docs = make_json_corpus.corpus(seed=8259, random_count=60, mangled_count=140)
    picked = [d for d in docs if d[0].startswith(("probe", "raw probe"))] + rng.sample([d for d in docs if d[0].startswith(("random", "mangled"))], 120)
    for name, value in picked:
        yield name, value, [
            ("/api/v1/events", b'{"type":"notification","title":"t","ignored":' + value + b"}", {"Authorization": f"Bearer {key}"}),
            ("/api/v1/alertmanager", b'{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A"},"ignored":' + value + b"}]}",
             {"Authorization": f"Bearer {key}"}),
            ("/v2/enqueue", b'{"routing_key":"' + key.encode() + b'","event_action":"trigger","payload":{"summary":"s","source":"x",'
             b'"severity":"info","ignored":' + value + b"}}", {}),
        ]


def test_every_intake_accepts_exactly_what_the_strict_reference_accepts(server):
    port, key = server["port"], server["key"]
    checked = 0
    disagreements = []
    for name, value, posts in _documents(key):
        for path, body, headers in posts:
            valid, why = make_json_corpus.verdict(body)
            sock = connect(port)
            extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n"
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body)
            got = responses(read_all(sock))
            status, answer = got[0][0], got[0][2]
            # A document outside the grammar is a 400 that says it is; one inside is never refused for its syntax.
            refused_as_json = status == 400 and (b"not valid JSON" in answer or b"appears more than once" in answer or b"deeper than" in answer)
            if valid == refused_as_json or (valid and status >= 500) or (not valid and status != 400):
                disagreements.append(f"{name} {path}: reference {why}, Herald {status} {answer[:160]!r}")
            checked += 1
    assert checked > 300
    assert not disagreements, "\n".join(disagreements[:20])
