"""Emulations of the chat services Herald's sinks talk to, for the end-to-end tests.

One threaded HTTP server on 127.0.0.1 serves all of them. Each checks the exact request the way the
real service would (path, authentication, body fields and their limits) and answers in the
service's own forms, errors included:

  HipChat v2      POST /v2/room/{room}/notification         Bearer auth token; 204
  Mattermost      POST /hooks/{key}                         200 "ok"
  Discord         POST /api/webhooks/{id}/{token}?wait=true 200 message JSON, X-RateLimit-* headers
                  PATCH /api/webhooks/{id}/{token}/messages/{message}
  Teams Workflows POST /workflows/{id}/triggers/manual/paths/invoke?sig=…   202
  any receiver    POST /receiver/{name}                     200 (Herald's signed webhook)

Every request is recorded (method, path, query, headers, raw body). `fail(prefix, status, body,
headers, times)` makes the next `times` requests under a path prefix answer that instead, as a
service in trouble would. Only the standard library.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HIPCHAT_COLORS = {"yellow", "green", "red", "purple", "gray", "random"}
DISCORD_LIMITS = {"title": 256, "description": 4096, "fields": 25, "field_name": 256, "field_value": 1024, "footer": 2048,
                  "total": 6000}


class Request:
    def __init__(self, method: str, path: str, query: dict, headers: dict, body: bytes):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.at = time.monotonic()

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.method} {self.path} {self.body[:300]!r}>"


class Emulators:
    """The services, their accounts, and what they received."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.faults: list[dict] = []
        self.hipchat_rooms: dict[str, str] = {}  # room id -> auth token
        self.mattermost_hooks: set[str] = set()
        self.discord_hooks: dict[str, str] = {}  # webhook id -> token
        self.discord_messages: dict[str, dict] = {}  # message id -> {"hook", "body", "edits"}
        self.discord_next_id = 1_100_000_000_000_000_000
        self.discord_remaining: dict[str, int] = {}  # webhook id -> requests left in the bucket (default: plenty)
        self.discord_reset_after = "0.400"  # seconds until a bucket refills, as Discord says it
        self.teams_flows: dict[str, str] = {}  # flow id -> sig
        self.receivers: dict[str, int] = {}  # name -> status to answer
        self.posts: dict[str, list] = {}  # service key -> accepted bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- accounts ---------------------------------------------------------------------------------

    def hipchat_room(self, room: str, token: str) -> str:
        self.hipchat_rooms[room] = token
        return f"{self.base}/v2/room/{room}/notification"

    def mattermost_hook(self, key: str) -> str:
        self.mattermost_hooks.add(key)
        return f"{self.base}/hooks/{key}"

    def discord_hook(self, hook_id: str, token: str) -> str:
        self.discord_hooks[hook_id] = token
        return f"{self.base}/api/webhooks/{hook_id}/{token}"

    def teams_flow(self, flow: str, sig: str) -> str:
        self.teams_flows[flow] = sig
        return f"{self.base}/workflows/{flow}/triggers/manual/paths/invoke?api-version=2016-06-01&sig={sig}"

    def receiver(self, name: str, status: int = 200) -> str:
        self.receivers[name] = status
        return f"{self.base}/receiver/{name}"

    def fail(self, prefix: str, status: int, body: bytes | str = b"", headers: dict | None = None, times: int = 1):
        """The next `times` requests whose path starts with `prefix` get this answer instead."""
        with self.lock:
            self.faults.append({"prefix": prefix, "status": status, "body": body.encode() if isinstance(body, str) else body,
                                "headers": headers or {}, "times": times})

    def received(self, prefix: str = "/") -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def accepted(self, key: str) -> list:
        with self.lock:
            return list(self.posts.get(key, []))

    # --- the services -----------------------------------------------------------------------------

    def _handler(self):
        emulators = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes | dict | str = b"", headers: dict | None = None, content_type: str | None = None):
                if isinstance(body, dict):
                    body, content_type = json.dumps(body).encode(), content_type or "application/json"
                elif isinstance(body, str):
                    body, content_type = body.encode(), content_type or "text/plain; charset=utf-8"
                self.send_response(status)
                if content_type and body:
                    self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
                request = Request(self.command, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, raw)
                with emulators.lock:
                    emulators.requests.append(request)
                    fault = next((f for f in emulators.faults if parts.path.startswith(f["prefix"]) and f["times"] > 0), None)
                    if fault:
                        fault["times"] -= 1
                if fault:
                    return self._answer(fault["status"], fault["body"], fault["headers"],
                                        "application/json" if fault["body"][:1] == b"{" else None)
                segments = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
                try:
                    if segments[:2] == ["v2", "room"] and len(segments) == 4 and segments[3] == "notification":
                        return emulators._hipchat(self, request, segments[2])
                    if segments[:1] == ["hooks"] and len(segments) == 2:
                        return emulators._mattermost(self, request, segments[1])
                    if segments[:2] == ["api", "webhooks"] and len(segments) in (4, 6):
                        return emulators._discord(self, request, segments[2:])
                    if segments[:1] == ["workflows"] and segments[2:] == ["triggers", "manual", "paths", "invoke"]:
                        return emulators._teams(self, request, segments[1])
                    if segments[:1] == ["receiver"] and len(segments) == 2:
                        return emulators._receiver(self, request, segments[1])
                except (ValueError, KeyError, TypeError, AttributeError) as err:
                    return self._answer(400, {"error": f"emulator could not read the request: {err}"})
                return self._answer(404, "Not Found")

            do_POST = _handle
            do_PATCH = _handle
            do_GET = _handle
            do_PUT = _handle
            do_DELETE = _handle

        return Handler

    def _accept(self, key: str, body):
        with self.lock:
            self.posts.setdefault(key, []).append(body)

    def _hipchat(self, h, request: Request, room: str):
        # https://developer.atlassian.com/server/hipchat/send-room-notification/
        if room not in self.hipchat_rooms:
            return h._answer(404, {"error": {"code": 404, "message": "Room not found", "type": "Not Found"}})
        if request.headers.get("authorization") != f"Bearer {self.hipchat_rooms[room]}":
            return h._answer(401, {"error": {"code": 401, "message": "Invalid OAuth session", "type": "Unauthorized"}})
        if not request.headers.get("content-type", "").startswith("application/json"):
            return h._answer(400, {"error": {"code": 400, "message": "Content-Type must be application/json", "type": "Bad Request"}})
        body = request.json()
        message = body.get("message")
        problems = []
        if not isinstance(message, str) or not 1 <= len(message) <= 10_000:
            problems.append("message must be 1 to 10000 characters")
        if body.get("message_format", "html") not in ("html", "text"):
            problems.append("message_format must be html or text")
        if body.get("color", "yellow") not in HIPCHAT_COLORS:
            problems.append("invalid color")
        if not isinstance(body.get("notify", False), bool):
            problems.append("notify must be a boolean")
        if problems:
            return h._answer(400, {"error": {"code": 400, "message": "; ".join(problems), "type": "Bad Request"}})
        self._accept(f"hipchat:{room}", body)
        return h._answer(204)

    def _mattermost(self, h, request: Request, key: str):
        # https://developers.mattermost.com/integrate/webhooks/incoming/
        if key not in self.mattermost_hooks:
            return h._answer(400, {"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook.", "status_code": 400})
        body = request.json()
        if not body.get("text") and not body.get("attachments"):
            return h._answer(400, {"id": "web.incoming_webhook.text.app_error", "message": "No text specified.", "status_code": 400})
        for attachment in body.get("attachments") or []:
            if not isinstance(attachment, dict) or not isinstance(attachment.get("fields", []), list):
                return h._answer(400, {"id": "web.incoming_webhook.parse.app_error", "message": "Unable to parse incoming data.",
                                       "status_code": 400})
        self._accept(f"mattermost:{key}", body)
        return h._answer(200, "ok")

    def _discord(self, h, request: Request, rest: list[str]):
        # https://discord.com/developers/docs/resources/webhook#execute-webhook, #edit-webhook-message
        hook_id, token = rest[0], rest[1]
        if self.discord_hooks.get(hook_id) != token:
            return h._answer(404, {"message": "Unknown Webhook", "code": 10015})
        with self.lock:
            left = self.discord_remaining.get(hook_id, 100)
            if left <= -1:
                self.discord_remaining[hook_id] = 100
        if left <= -1:
            return h._answer(429, {"message": "You are being rate limited.", "retry_after": 0.3, "global": False},
                             {"Retry-After": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.300"})
        body = request.json()
        problems = self._discord_problems(body)
        if problems:
            return h._answer(400, {"code": 50035, "message": "Invalid Form Body", "errors": problems})
        with self.lock:
            self.discord_remaining[hook_id] = left - 1
            remaining = max(0, left - 1)
        limit_headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset-After": self.discord_reset_after,
                         "X-RateLimit-Bucket": f"bucket-{hook_id}"}
        if len(rest) == 2 and request.method == "POST":
            if request.query.get("wait") != "true":
                self._accept(f"discord:{hook_id}", body)
                return h._answer(204, b"", limit_headers)
            with self.lock:
                self.discord_next_id += 1
                message_id = str(self.discord_next_id)
                self.discord_messages[message_id] = {"hook": hook_id, "body": body, "edits": 0}
            self._accept(f"discord:{hook_id}", body)
            return h._answer(200, {"id": message_id, "type": 0, "channel_id": "99", "webhook_id": hook_id, **body}, limit_headers)
        if len(rest) == 4 and rest[2] == "messages" and request.method == "PATCH":
            with self.lock:
                message = self.discord_messages.get(rest[3])
                if message is None or message["hook"] != hook_id:
                    return h._answer(404, {"message": "Unknown Message", "code": 10008})
                message["body"] = body
                message["edits"] += 1
            return h._answer(200, {"id": rest[3], "type": 0, "channel_id": "99", "webhook_id": hook_id, **body}, limit_headers)
        return h._answer(405, {"message": "405: Method Not Allowed", "code": 0})

    @staticmethod
    def _discord_problems(body) -> dict:
        problems = {}
        embeds = body.get("embeds") or []
        if not body.get("content") and not embeds:
            problems["content"] = "Cannot send an empty message"
        if len(embeds) > 10:
            problems["embeds"] = "Must be 10 or fewer in length."
        for i, embed in enumerate(embeds):
            total = 0
            for field, limit in (("title", "title"), ("description", "description")):
                text = embed.get(field) or ""
                total += len(text.encode("utf-16-le")) // 2
                if len(text.encode("utf-16-le")) // 2 > DISCORD_LIMITS[limit]:
                    problems[f"embeds.{i}.{field}"] = f"Must be {DISCORD_LIMITS[limit]} or fewer in length."
            fields = embed.get("fields") or []
            if len(fields) > DISCORD_LIMITS["fields"]:
                problems[f"embeds.{i}.fields"] = "Must be 25 or fewer in length."
            for j, f in enumerate(fields):
                name, value = f.get("name") or "", f.get("value") or ""
                if not name or not value:
                    problems[f"embeds.{i}.fields.{j}"] = "name and value are required"
                if len(name) > DISCORD_LIMITS["field_name"] or len(value) > DISCORD_LIMITS["field_value"]:
                    problems[f"embeds.{i}.fields.{j}"] = "too long"
                total += len(name) + len(value)
            footer = (embed.get("footer") or {}).get("text") or ""
            total += len(footer)
            if total > DISCORD_LIMITS["total"]:
                problems[f"embeds.{i}"] = "Embed size exceeds maximum size of 6000"
            if "color" in embed and not (isinstance(embed["color"], int) and 0 <= embed["color"] <= 0xFFFFFF):
                problems[f"embeds.{i}.color"] = "Int value should be less than or equal to 16777215."
        return problems

    def _teams(self, h, request: Request, flow: str):
        # A Workflows "When a Teams webhook request is received" trigger.
        if flow not in self.teams_flows or request.query.get("sig") != self.teams_flows[flow]:
            return h._answer(401, {"error": {"code": "DirectApiAuthorizationRequired", "message": "The request must be authenticated."}})
        body = request.json()
        try:
            assert body["type"] == "message"
            attachment = body["attachments"][0]
            assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            card = attachment["content"]
            assert card["type"] == "AdaptiveCard" and isinstance(card["body"], list) and card["version"]
        except (KeyError, IndexError, AssertionError, TypeError):
            return h._answer(400, {"error": {"code": "InvalidRequestContent", "message": "The request content is not valid."}})
        self._accept(f"teams:{flow}", body)
        return h._answer(202)

    def _receiver(self, h, request: Request, name: str):
        if name not in self.receivers:
            return h._answer(404, "no such receiver")
        status = self.receivers[name]
        if 200 <= status < 300:
            self._accept(f"receiver:{name}", request)
        return h._answer(status, "received" if status < 300 else "refused")
