"""End-to-end fidelity tests of `herald serve --sandbox` (SPEC §3, §6, §10) with the official Python
`slack_sdk` as an independent client.

One real `herald serve --sandbox` process serves the whole module. `slack_sdk`'s `WebClient` and
`WebhookClient` talk to the sandbox at `/sandbox/api/` and `/sandbox/services/...` exactly as they
would talk to slack.com and hooks.slack.com; the sandbox's control API (`/sandbox/control/...`) is
used only to set the scene (tokens, channels, webhooks, faults) and to look at what Slack would show.
Herald's own side is checked through the startup banner: its `curl` line must post to `#alerts`, and
the sandbox page must show the latest version of a message as Slack would.

Every wait is bounded and all traffic goes to 127.0.0.1 (proxy variables are cleared for the module,
because `slack_sdk` reads HTTP(S)_PROXY and ignores NO_PROXY).
"""

from __future__ import annotations

import re
import shlex
import time
import urllib.parse

import pytest

from conftest import HeraldServer, free_port, herald_env, http

try:
    from slack_sdk import WebClient, WebhookClient
    from slack_sdk.errors import SlackApiError
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
except ImportError:  # scripts/test.sh installs it; a missing client must not pass silently as a skip
    pytest.fail("the official Python slack_sdk is required: python3 -m pip install slack_sdk", pytrace=False)

BANNER_TIMEOUT = 30.0  # seconds the server gets to print its sandbox banner after /healthz answers
CLIENT_TIMEOUT = 10  # seconds per slack_sdk request
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")

EXTRA_CHANNELS = [
    # (name, isPrivate, isArchived, botIsMember)
    ("pager-1", False, False, True),
    ("pager-2", False, False, False),  # public, bot not a member: still listed
    ("pager-3", False, False, True),
    ("pager-4", False, True, True),  # archived: not listed with exclude_archived
    ("pager-5", False, False, True),
    ("vault", True, False, True),  # private, bot in it: listed
    ("vault-hidden", True, False, False),  # private, bot not in it: invisible
    ("pager-6", False, False, True),
    ("pager-7", False, False, True),
]


# --- fixtures ------------------------------------------------------------------------------------


class Sandbox:
    """The running `herald serve --sandbox` and what its banner said."""

    def __init__(self, server: HeraldServer, banner: str):
        self.server = server
        self.port = server.port
        self.banner = banner
        self.base = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base}/sandbox/api/"

    # control API
    def bot_token(self) -> str:
        resp = http("POST", self.port, "/sandbox/control/bot-tokens")
        assert resp.status == 201, resp
        token = resp.json()["token"]
        assert token.startswith("xoxb-"), token
        return token

    def add_channel(self, name: str, is_private=False, is_archived=False, bot_is_member=True) -> dict:
        resp = http("POST", self.port, "/sandbox/control/channels",
                    body={"name": name, "isPrivate": is_private, "isArchived": is_archived,
                          "botIsMember": bot_is_member})
        assert resp.status == 201, resp
        return resp.json()

    def webhook(self, channel: str) -> str:
        resp = http("POST", self.port, "/sandbox/control/webhooks", body={"channel": channel})
        assert resp.status == 201, resp
        return resp.json()["url"]

    def fault(self, **fault) -> None:
        resp = http("POST", self.port, "/sandbox/control/faults", body=fault)
        assert resp.status == 204, resp

    def messages(self, channel: str) -> list[dict]:
        resp = http("GET", self.port, f"/sandbox/control/channels/{urllib.parse.quote(channel, safe='')}/messages")
        assert resp.status == 200, resp
        return resp.json()["messages"]

    def client(self, token: str, **kwargs) -> WebClient:
        client = WebClient(token=token, base_url=self.api_url, timeout=CLIENT_TIMEOUT, **kwargs)
        assert client.proxy is None, "slack_sdk would go through a proxy"
        return client


@pytest.fixture(scope="module")
def no_proxy():
    with pytest.MonkeyPatch.context() as mp:
        for name in PROXY_VARIABLES:
            mp.delenv(name, raising=False)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        yield


@pytest.fixture(scope="module")
def sandbox(herald_bin, tmp_path_factory, no_proxy):
    cwd = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    server = HeraldServer(herald_bin, cwd, herald_env(), port,
                          args=["serve", "--sandbox", "--port", str(port)], name="herald-sandbox")
    try:
        server.wait_healthy()
        deadline = time.monotonic() + BANNER_TIMEOUT
        banner = ""
        while time.monotonic() < deadline:
            banner = server.stdout_path.read_bytes().decode("utf-8", "replace")
            if re.search(r"^\s*curl .*/settings/slack/test\s*$", banner, re.M):
                break
            if server.proc.poll() is not None:
                pytest.fail(f"herald exited with {server.proc.returncode}\n{server.logs()}")
            time.sleep(0.2)
        else:
            pytest.fail(f"no sandbox banner with a curl line within {BANNER_TIMEOUT:.0f} s\n{server.logs()}")
        yield Sandbox(server, banner)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bot(sandbox) -> WebClient:
    return sandbox.client(sandbox.bot_token())


@pytest.fixture(scope="module")
def alerts_id(bot) -> str:
    resp = bot.conversations_list(limit=1000, types="public_channel")
    ids = [c["id"] for c in resp["channels"] if c["name"] == "alerts"]
    assert len(ids) == 1, resp.data
    return ids[0]


# --- helpers -------------------------------------------------------------------------------------


def api_error(excinfo) -> str:
    err = excinfo.value
    assert isinstance(err, SlackApiError)
    assert err.response["ok"] is False, err.response.data
    return err.response["error"]


def header_value(headers: dict, name: str):
    """A header's value from slack_sdk's response headers, whatever the name's case (one value or a list)."""
    values = [v for k, v in headers.items() if k.lower() == name.lower()]
    assert values, f"no {name} header in {headers!r}"
    value = values[0]
    return value[0] if isinstance(value, list) else value


INCIDENT_BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Disk almost full on db-7"}},
    {"type": "section", "fields": [
        {"type": "mrkdwn", "text": "*Severity*\ncritical"},
        {"type": "mrkdwn", "text": "*Service*\ndatabase"},
        {"type": "mrkdwn", "text": "*Status*\ntriggered"},
    ]},
]
RESOLVED_BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Resolved: disk space reclaimed on db-7"}},
    {"type": "section", "fields": [
        {"type": "mrkdwn", "text": "*Severity*\ncritical"},
        {"type": "mrkdwn", "text": "*Status*\nresolved"},
    ]},
]
GREEN = "#2eb67d"


@pytest.fixture(scope="module")
def living_message(sandbox, bot, alerts_id) -> dict:
    """Posts an incident message to #alerts, then updates it to resolved/green, as Herald does."""
    before = sandbox.messages("#alerts")
    posted = bot.chat_postMessage(channel="#alerts", text="Disk almost full on db-7 (critical)",
                                  blocks=INCIDENT_BLOCKS,
                                  attachments=[{"color": "#a30200", "text": "Triggered by disk-monitor"}])
    assert posted["ok"] is True
    assert posted["channel"].startswith("C") and posted["channel"] == alerts_id, posted.data
    ts = posted["ts"]
    assert re.fullmatch(r"\d+\.\d{6}", ts), ts
    assert posted["message"]["text"] == "Disk almost full on db-7 (critical)"
    assert posted["message"]["blocks"][0]["type"] == "header"

    updated = bot.chat_update(channel=posted["channel"], ts=ts, text="Resolved: disk space reclaimed on db-7",
                              blocks=RESOLVED_BLOCKS,
                              attachments=[{"color": GREEN, "text": "Resolved by alice"}])
    assert updated["ok"] is True
    assert updated["ts"] == ts, updated.data
    assert updated["channel"] == posted["channel"]
    assert updated["text"] == "Resolved: disk space reclaimed on db-7"
    return {"ts": ts, "channel": posted["channel"], "before": before}


# --- Web API through slack_sdk ---------------------------------------------------------------------


def test_post_then_update_keeps_one_message_with_the_latest_version(sandbox, living_message):
    ts = living_message["ts"]
    after = sandbox.messages("#alerts")
    assert len(after) == len(living_message["before"]) + 1, after
    mine = [m for m in after if m["ts"] == ts]
    assert len(mine) == 1, after
    message = mine[0]
    assert message["text"] == "Resolved: disk space reclaimed on db-7"
    assert message["edits"] == 1
    assert message["channel"] == living_message["channel"]
    assert message["blocks"] == RESOLVED_BLOCKS
    assert message["attachments"] == [{"color": GREEN, "text": "Resolved by alice"}]
    # The same message is reachable by channel id too.
    assert [m["ts"] for m in sandbox.messages(living_message["channel"])] == [m["ts"] for m in after]


def test_auth_test_reports_the_sandbox_team(bot):
    resp = bot.auth_test()
    assert resp["ok"] is True
    assert resp["team_id"] == "T0SANDBOX"
    assert resp["user_id"] == "U0HERALDBOT"
    assert resp["bot_id"]
    assert resp["url"].startswith("https://")


def test_conversations_list_pages_with_the_sdk_cursor_iterator(sandbox, bot):
    for name, is_private, is_archived, member in EXTRA_CHANNELS:
        created = sandbox.add_channel(name, is_private, is_archived, member)
        assert created["name"] == name and created["id"].startswith("C"), created

    pages = []
    for page in bot.conversations_list(limit=2, types="public_channel,private_channel", exclude_archived=True):
        pages.append(page["channels"])
        assert len(pages) <= 100, "pagination does not end"
    names = [c["name"] for channels in pages for c in channels]

    assert all(len(channels) <= 2 for channels in pages), [[c["name"] for c in p] for p in pages]
    assert all(pages[:-1]), "an empty page before the last one"
    assert len(pages) > 1
    assert len(names) == len(set(names)), names
    expected = {"general", "alerts", "ops", "incidents", "secret-ops",
                "pager-1", "pager-2", "pager-3", "pager-5", "vault", "pager-6", "pager-7"}
    assert set(names) == expected, names
    assert len(pages) == (len(expected) + 1) // 2
    # Private channels the bot is in are listed; private ones it is not in and archived ones are not.
    assert "secret-ops" in names and "vault" in names
    assert "private-hr" not in names and "vault-hidden" not in names
    assert "old-alerts" not in names and "pager-4" not in names
    by_name = {c["name"]: c for channels in pages for c in channels}
    assert by_name["secret-ops"]["is_private"] is True
    assert by_name["alerts"]["is_private"] is False
    assert all(c["is_archived"] is False for c in by_name.values())
    assert all(c["id"].startswith("C") for c in by_name.values())

    # Without exclude_archived, archived channels are listed (and flagged).
    archived = {c["name"]: c for page in bot.conversations_list(limit=1000, types="public_channel")
                for c in page["channels"]}
    assert archived["old-alerts"]["is_archived"] is True
    assert "secret-ops" not in archived  # only public channels were asked for


def test_users_lookup_by_email_and_info(bot):
    found = bot.users_lookupByEmail(email="alice@example.com")
    assert found["ok"] is True
    assert found["user"]["id"] == "U0ALICE"
    assert found["user"]["profile"]["email"] == "alice@example.com"

    info = bot.users_info(user="U0ALICE")
    assert info["ok"] is True
    assert info["user"]["id"] == "U0ALICE"
    assert info["user"]["name"] == "alice"
    assert info["user"]["profile"]["email"] == "alice@example.com"
    assert info["user"]["is_bot"] is False


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_errors_are_raised_as_slack_api_errors_with_slacks_codes(sandbox, bot, alerts_id):
    with pytest.raises(SlackApiError) as e:
        bot.chat_postMessage(channel="#does-not-exist", text="hi")
    assert api_error(e) == "channel_not_found"

    with pytest.raises(SlackApiError) as e:
        bot.chat_postMessage(channel="#general", text="hi")
    assert api_error(e) == "not_in_channel"

    with pytest.raises(SlackApiError) as e:
        bot.chat_postMessage(channel="#old-alerts", text="hi")
    assert api_error(e) == "is_archived"

    with pytest.raises(SlackApiError) as e:
        bot.chat_postMessage(channel="#alerts", text="")
    assert api_error(e) == "no_text"

    with pytest.raises(SlackApiError) as e:
        bot.chat_update(channel=alerts_id, ts="1234567890.999999", text="nope")
    assert api_error(e) == "message_not_found"

    with pytest.raises(SlackApiError) as e:
        bot.users_lookupByEmail(email="nobody@example.com")
    assert api_error(e) == "users_not_found"

    with pytest.raises(SlackApiError) as e:
        sandbox.client("xoxb-bogus-token-0000").auth_test()
    assert api_error(e) == "invalid_auth"

    # None of the failed posts left a message behind.
    assert sandbox.messages("#general") == []
    assert sandbox.messages("#old-alerts") == []


def test_revoked_token_is_refused(sandbox):
    client = sandbox.client(sandbox.bot_token())
    assert client.auth_test()["ok"] is True
    revoked = client.auth_revoke()
    assert revoked["ok"] is True and revoked["revoked"] is True
    with pytest.raises(SlackApiError) as e:
        client.auth_test()
    assert api_error(e) == "token_revoked"
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="#alerts", text="after revoke")
    assert api_error(e) == "token_revoked"


def test_rate_limit_answers_429_with_retry_after_and_the_sdk_retry_handler_honours_it(sandbox):
    token = sandbox.bot_token()
    before = len(sandbox.messages("#incidents"))

    sandbox.fault(kind="rateLimited", method="chat.postMessage", retryAfter=1, count=1)
    plain = sandbox.client(token, retry_handlers=[])
    with pytest.raises(SlackApiError) as e:
        plain.chat_postMessage(channel="#incidents", text="rate limited")
    assert e.value.response.status_code == 429
    assert e.value.response["error"] == "ratelimited"
    assert str(header_value(e.value.response.headers, "Retry-After")) == "1"
    assert len(sandbox.messages("#incidents")) == before, "a rate-limited post was stored"

    sandbox.fault(kind="rateLimited", method="chat.postMessage", retryAfter=1, count=1)
    patient = sandbox.client(token, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    started = time.monotonic()
    resp = patient.chat_postMessage(channel="#incidents", text="after the rate limit")
    elapsed = time.monotonic() - started
    assert resp["ok"] is True
    assert resp.status_code == 200
    assert elapsed >= 1.0, f"the retry did not wait for Retry-After (elapsed {elapsed:.2f} s)"
    assert elapsed < CLIENT_TIMEOUT * 2
    after = sandbox.messages("#incidents")
    assert len(after) == before + 1
    assert after[-1]["text"] == "after the rate limit" and after[-1]["ts"] == resp["ts"]


# --- incoming webhooks through slack_sdk -----------------------------------------------------------


def test_incoming_webhook_posts_to_its_channel(sandbox):
    url = sandbox.webhook("#ops")
    assert url.startswith(f"http://127.0.0.1:{sandbox.port}/sandbox/services/"), url
    before = len(sandbox.messages("#ops"))

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello* from a webhook"}}]
    client = WebhookClient(url, timeout=CLIENT_TIMEOUT)
    assert client.proxy is None
    resp = client.send(text="hello", blocks=blocks)
    assert resp.status_code == 200, (resp.status_code, resp.body)
    assert resp.body == "ok"

    after = sandbox.messages("#ops")
    assert len(after) == before + 1
    assert after[-1]["text"] == "hello"
    assert after[-1]["blocks"] == blocks
    assert after[-1]["viaWebhook"] is True

    empty = client.send()
    assert empty.status_code == 400, (empty.status_code, empty.body)
    assert empty.body == "no_text"
    assert len(sandbox.messages("#ops")) == before + 1

    unknown = WebhookClient(f"{sandbox.base}/sandbox/services/T0SANDBOX/B0NOSUCH/notarealsecret000000000000",
                            timeout=CLIENT_TIMEOUT)
    assert unknown.proxy is None
    missing = unknown.send(text="hello")
    assert missing.status_code == 404, (missing.status_code, missing.body)
    assert missing.body == "no_service"


# --- Herald's side: the banner and the page ------------------------------------------------------


def test_banner_curl_line_sends_a_test_message_to_alerts(sandbox):
    banner = sandbox.banner
    assert f"{sandbox.base}/sandbox" in banner, banner
    token_line = re.search(r"^\s*API token:\s*(\S+)\s*$", banner, re.M)
    assert token_line, banner
    api_token = token_line.group(1)
    assert api_token.startswith("hrd_pat_"), api_token
    assert re.search(r"^\s*Event key:\s*hrd_ek_\S+\s*$", banner, re.M), banner

    curl_line = re.search(r"^\s*(curl .*/settings/slack/test)\s*$", banner, re.M).group(1)
    argv = shlex.split(curl_line)
    assert argv[argv.index("-X") + 1] == "POST", argv
    header = argv[argv.index("-H") + 1]
    assert header == f"Authorization: Bearer {api_token}", header
    url = urllib.parse.urlsplit(argv[-1])
    assert (url.scheme, url.hostname, url.port) == ("http", "127.0.0.1", sandbox.port), argv[-1]
    assert re.fullmatch(r"/api/v1/projects/[0-9a-fA-F-]{36}/settings/slack/test", url.path), url.path

    before = len(sandbox.messages("#alerts"))
    resp = http("POST", sandbox.port, url.path, token=api_token)
    assert resp.status == 200, f"{resp}\n{sandbox.server.logs()}"
    results = resp.json()["results"]
    assert len(results) == 1, results
    assert results[0]["channel"] == "#alerts"
    assert results[0]["ok"] is True, results
    assert results[0].get("error") is None
    assert results[0]["ts"]

    after = sandbox.messages("#alerts")
    assert len(after) == before + 1, after
    message = after[-1]
    assert message["ts"] == results[0]["ts"]
    assert "Herald test message" in message["text"]
    assert message["viaWebhook"] is False


def test_sandbox_page_shows_the_latest_version_of_the_message(sandbox, living_message, alerts_id):
    resp = http("GET", sandbox.port, f"/sandbox?channel={alerts_id}")
    assert resp.status == 200, resp
    assert resp.headers.get("Content-Type", "").startswith("text/html"), resp.headers
    html = resp.body.decode("utf-8")
    article = re.search(r'<article[^>]*data-ts="%s"[^>]*>.*?</article>' % re.escape(living_message["ts"]), html, re.S)
    assert article, html[:3000]
    text = article.group(0)
    assert "Resolved: disk space reclaimed on db-7" in text
    assert "Resolved by alice" in text
    assert "Disk almost full on db-7" not in text, "the page shows the first version"
    assert "(edited" in text
    assert re.search(r"border-left-color:\s*%s" % re.escape(GREEN), text, re.I), text
    assert "#a30200" not in text, "the page still shows the red bar"
    # The selected channel is #alerts.
    assert re.search(r"<h1>#\s*alerts", html), html[:3000]
