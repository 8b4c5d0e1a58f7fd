"""Safe by default, as one ASGI middleware in front of every route:

- Host check: bound to loopback, only ``localhost``/loopback addresses are accepted as ``Host``, so
  a web page cannot reach the app through DNS rebinding.
- Token: when set (mandatory off loopback), every request needs ``Authorization: Bearer TOKEN`` or
  the cookie set by opening the printed URL (``/?token=TOKEN``); anything else gets 401.
- CSRF: a POST from a browser must carry the page's CSRF token (``X-CSRF-Token`` header or a
  ``csrf`` form field, checked by the route); a Bearer-authenticated client, or on loopback a
  client that is not a browser (no ``Origin``/``Sec-Fetch-Site``), needs none.
- Upload size: ``Content-Length`` over the limit is refused at once with 413, and a body that
  streams past it (chunked) is cut off with 413 too.
- Headers: a strict Content-Security-Policy (scripts and styles from this app only, no inline
  script), no framing, no sniffing, no referrer.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from .options import is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "labeler_token"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
#: Routes whose POST is a classic HTML form: the route checks the ``csrf`` field itself.
FORM_POSTS = ("/settings",)


class UploadTooLarge(Exception):
    """The request body passed ``--max-upload``."""


def too_large_message(limit: int) -> str:
    return f"the upload is larger than this server accepts ({limit / (1 << 20):g} MiB); restart it with a larger --max-upload"


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class Guard:
    """The middleware; ``csrf`` is the per-process token the page embeds."""

    def __init__(self, app: ASGIApp, *, host: str, token: str | None, csrf: str, max_upload: int) -> None:
        self.app, self.token, self.csrf, self.max_upload = app, token, csrf, max_upload
        self.loopback = is_loopback(host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path: str = scope.get("path", "/")

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        host = headers.get("host", "").rsplit(":", 1)[0] if not headers.get("host", "").endswith("]") else headers.get("host", "")
        if self.loopback and not is_loopback(host):
            await _reply(secured, 421, "this server answers only to localhost addresses")
            return
        bearer = headers.get("authorization", "")
        by_bearer = self.token is not None and bearer.startswith("Bearer ") and same(bearer[7:].strip(), self.token)
        by_cookie = self.token is not None and same(_cookie(headers.get("cookie", ""), COOKIE), self.token)
        if self.token is not None and not (by_bearer or by_cookie):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if scope["method"] == "GET" and same(query.get("token", [None])[-1], self.token):
                await _login(secured, path, query, self.token)
                return
            await _reply(secured, 401, "a token is required: open the URL labeler serve printed, or send Authorization: Bearer TOKEN")
            return
        if scope["method"] not in ("GET", "HEAD") and not by_bearer and path not in FORM_POSTS:
            browser = "origin" in headers or "sec-fetch-site" in headers or by_cookie
            if (browser or not path.startswith("/api/")) and not same(headers.get("x-csrf-token"), self.csrf):
                await _reply(secured, 403, "missing or wrong CSRF token: reload the page and try again")
                return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_upload:
            await _reply(secured, 413, too_large_message(self.max_upload))
            return
        await self._limited(scope, receive, secured)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        received, started = 0, False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_upload:
                raise UploadTooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except UploadTooLarge:
            if not started:
                await _reply(send, 413, too_large_message(self.max_upload))


async def _reply(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _login(send: Send, path: str, query: dict[str, list[str]], token: str) -> None:
    """Opened from the printed URL: keep the token in a cookie and drop it from the address bar."""
    rest = {k: v for k, v in query.items() if k != "token"}
    location = path + ("?" + urlencode(rest, doseq=True) if rest else "")
    cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})
