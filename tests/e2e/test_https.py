"""HTTPS served by Herald itself (SPEC §10: HERALD_TLS_CERT, HERALD_TLS_KEY; TLS 1.2 or later).

PagerDuty's current Python client (`pagerduty` 7.x, from PyPI) refuses a base URL that is not
https://; here it sends a trigger and a resolve to a Herald serving a throwaway self-signed
certificate made with `openssl` for 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import warnings

import pytest

from conftest import ADMIN_TOKEN, HeraldServer, free_port, herald_env

try:
    import pagerduty
except ImportError:  # pragma: no cover - the test command installs it
    pytest.fail("PagerDuty's client is required: python3 -m pip install 'pagerduty>=7,<8'", pytrace=False)


def certificate(directory):
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key


class HTTPS:
    """Requests to the server, trusting only its certificate, never through a proxy."""

    def __init__(self, port: int, cert):
        self.port = port
        self.context = ssl.create_default_context(cafile=str(cert))
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self.context))

    def __call__(self, method: str, path: str, token: str | None = None, body=None):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", data=data, headers=headers, method=method)
        try:
            with self.opener.open(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def wait_healthy(self, server: HeraldServer, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                pytest.fail(f"herald exited with {server.proc.returncode}\n{server.logs()}")
            try:
                if self("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"no HTTPS answer within {timeout:.0f} s\n{server.logs()}")


def test_pagerduty_client_triggers_and_resolves_over_https(herald_bin, tmp_path):
    cert, key = certificate(tmp_path)
    port = free_port()
    env = herald_env(HERALD_TLS_CERT=str(cert), HERALD_TLS_KEY=str(key), HERALD_ADMIN_EMAIL="admin@example.com",
                     HERALD_ADMIN_TOKEN=ADMIN_TOKEN)
    server = HeraldServer(herald_bin, tmp_path, env, port)
    try:
        https = HTTPS(port, cert)
        https.wait_healthy(server)
        assert f"Server started on https://127.0.0.1:{port}" in server.logs()
        status, org = https("POST", "/api/v1/orgs", ADMIN_TOKEN, {"name": "Acme"})
        assert status == 201, org
        status, project = https("POST", f"/api/v1/orgs/{org['id']}/projects", ADMIN_TOKEN, {"name": "Shop"})
        assert status == 201, project
        status, key_body = https("POST", f"/api/v1/projects/{project['id']}/keys", ADMIN_TOKEN, {"name": "pagerduty"})
        assert status == 201, key_body

        # PagerDuty's own client (an httpx client), pointed at Herald by its base URL alone, trusting the
        # test certificate and no proxy.
        client = pagerduty.EventsApiV2Client(key_body["key"], base_url=f"https://127.0.0.1:{port}", verify=https.context, trust_env=False)
        assert client.trigger("Disk full on db-1", "db-1", dedup_key="disk-db-1", severity="critical") == "disk-db-1"
        status, incidents = https("GET", f"/api/v1/projects/{project['id']}/incidents", ADMIN_TOKEN)
        assert status == 200 and [(i["title"], i["status"], i["severity"]) for i in incidents] == [("Disk full on db-1", "triggered", "critical")]
        client.resolve("disk-db-1")
        status, incidents = https("GET", f"/api/v1/projects/{project['id']}/incidents", ADMIN_TOKEN)
        assert incidents[0]["status"] == "resolved"

        # TLS 1.1 is refused at the handshake; plain HTTP gets no HTTP answer.
        # The client allows TLS 1.1 (security level 0), so the refusal is the server's.
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(cafile=str(cert))
        old.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1_1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
        with pytest.raises(ssl.SSLError) as refused:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, old.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
        assert "NO_PROTOCOLS_AVAILABLE" not in str(refused.value), refused.value
        print(f"TLS 1.1 refused: {refused.value}")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try:
                answer = raw.recv(1024)
            except OSError:
                answer = b""
            assert not answer.startswith(b"HTTP/"), answer
    finally:
        server.stop()


def test_an_unreadable_certificate_is_a_startup_error(herald_bin, tmp_path):
    cert, key = certificate(tmp_path)
    env = herald_env(HERALD_TLS_CERT=str(tmp_path / "missing.pem"), HERALD_TLS_KEY=str(key))
    result = subprocess.run([herald_bin, "serve", "--port", str(free_port())], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=60)
    assert result.returncode == 2, result
    assert b"HERALD_TLS_CERT" in result.stderr and b"missing.pem" in result.stderr, result.stderr
