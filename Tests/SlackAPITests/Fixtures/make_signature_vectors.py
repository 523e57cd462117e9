#!/usr/bin/env python3
"""Writes signature_vectors.json: Slack request-signing cases judged by the official slack_sdk verifier.

Run with `pip install slack_sdk` done, from anywhere:
    python3 Tests/SlackAPITests/Fixtures/make_signature_vectors.py
The Swift tests require SlackSignatureVerifier to agree with every verdict recorded here.
"""

import json
import pathlib

import slack_sdk
from slack_sdk.signature import SignatureVerifier

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
OTHER_SECRET = "00000000000000000000000000000000"
NOW = 1_531_420_618


class FixedClock:
    """The `clock=` object slack_sdk's verifier asks for the current time."""

    def __init__(self, now):
        self._now = now

    def now(self):
        return self._now


SLASH_COMMAND = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fcreate_incident"
    "&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
INTERACTION = (
    "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U2CERLKJA%22%7D%2C"
    "%22actions%22%3A%5B%7B%22action_id%22%3A%22incident.acknowledge%22%2C%22value%22%3A%22inc_42%22%7D%5D%7D"
)
EVENT = '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'
UNICODE = '{"text":"Disk 95 % on db-1 — 🔥 naïve façade 日本語 👩🏽‍💻 🇫🇷"}'


def case(name, body, *, timestamp=None, now=NOW, secret=SECRET, signed_with=None, signature=None):
    """One vector: `signature` defaults to slack_sdk's own for (timestamp, body) under `signed_with`."""
    timestamp = str(now) if timestamp is None else timestamp
    verifier = SignatureVerifier(secret, clock=FixedClock(now))
    expected = verifier.generate_signature(timestamp=timestamp, body=body)
    if signature is None:
        signer = SignatureVerifier(signed_with or secret, clock=FixedClock(now))
        signature = signer.generate_signature(timestamp=timestamp, body=body)
    try:
        valid = verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except ValueError:
        # slack_sdk raises on a timestamp that is not an integer; a request it cannot verify is not valid.
        valid = False
    return {
        "name": name,
        "secret": secret,
        "timestamp": timestamp,
        "body": body,
        "signature": signature,
        "expected_signature": expected,
        "now": now,
        "valid": valid,
    }


def good(body, timestamp):
    return SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)


vectors = [
    case("json event body", EVENT),
    case("slash command form body, 299 s old", SLASH_COMMAND, timestamp=str(NOW - 299)),
    case("interaction payload form body", INTERACTION),
    case("unicode body", UNICODE),
    case("empty body", ""),
    case("exactly 300 s old", EVENT, timestamp=str(NOW - 300)),
    case("299 s in the future", INTERACTION, timestamp=str(NOW + 299)),
    case("stale: 301 s old", SLASH_COMMAND, timestamp=str(NOW - 301)),
    case("future: 301 s ahead", EVENT, timestamp=str(NOW + 301)),
    case("tampered body", SLASH_COMMAND.replace("roadrunner", "wile_e"), signature=good(SLASH_COMMAND, str(NOW))),
    case("tampered timestamp", EVENT, timestamp=str(NOW - 1), signature=good(EVENT, str(NOW))),
    case("signed with another secret", INTERACTION, signed_with=OTHER_SECRET),
    case("missing v0= prefix", EVENT, signature=good(EVENT, str(NOW))[3:]),
    case("uppercase hex", EVENT, signature="v0=" + good(EVENT, str(NOW))[3:].upper()),
    case("v1 scheme", EVENT, signature="v1=" + good(EVENT, str(NOW))[3:]),
    case("non-numeric timestamp", EVENT, timestamp="yesterday"),
    case("truncated signature", UNICODE, signature=good(UNICODE, str(NOW))[:-2]),
]

out = pathlib.Path(__file__).with_name("signature_vectors.json")
out.write_text(
    json.dumps({"generator": f"slack_sdk {slack_sdk.version.__version__}", "vectors": vectors}, indent=2, ensure_ascii=False)
    + "\n",
    encoding="utf-8",
)
print(f"wrote {len(vectors)} vectors to {out}")
