"""The guard in front of every route: request size, Host, origin, and security headers.

One ASGI middleware, outside the application, so that nothing reaches a route unchecked:

* the body is counted as it arrives (``receive``), chunked or not: over the route's ceiling
  the answer is 413 at once, before a large body is held or spooled to a temporary file;
* the ``Host`` header must name this server (an allow-list: against DNS rebinding, where a
  hostile page's own domain is pointed at 127.0.0.1);
* a request that changes something (POST ...) from a browser must come from this server's
  own page: its ``Origin``, when sent, must be this host (against cross-site uploads);
* every answer carries ``nosniff``, a frame ban, a referrer policy and a content security
  policy (the page's editor, JSME, is compiled by GWT and needs inline scripts and eval;
  ``/docs`` needs neither; JSON answers need nothing at all).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Names a local server is reached by; the address a request arrived on is added per request.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

_PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def content_policy(path: str) -> str:
    """The content security policy of an answer to ``path``.

    >>> content_policy("/api/v1/check") == _API_CSP, "unsafe-eval" in content_policy("/")
    (True, True)
    """
    if path == "/" or path.startswith("/static/"):
        return _PAGE_CSP
    if path.startswith("/docs"):
        return _DOCS_CSP
    return _API_CSP


def _error(status: int, kind: str, message: str, limit: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": kind, "message": message}
    if limit:
        body["limit"] = limit
    return JSONResponse({"error": body}, status_code=status)


def _hostname(value: str) -> str:
    """The host of a ``Host`` header, without the port, lower case.

    >>> _hostname("LocalHost:8000"), _hostname("[::1]:8000"), _hostname("::1")
    ('localhost', '::1', '::1')
    """
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether a hostname is on an allow-list (``*`` allows all, ``.example.org`` its subdomains).

    >>> host_allowed("a.example.org", [".example.org"]), host_allowed("evil.test", ["localhost"])
    (True, False)
    """
    for entry in allowed:
        entry = entry.strip().lower()
        if entry == "*" or host == entry or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


def _port(scheme: str, port: int | None) -> int:
    return port or (443 if scheme in ("https", "wss") else 80)


def same_origin(origin: str, host: str, scheme: str) -> bool:
    """Whether an ``Origin`` header names the host (and port) a request was sent to.

    >>> same_origin("http://localhost:8000", "localhost:8000", "http")
    True
    >>> same_origin("https://attacker.example", "localhost:8000", "http")
    False
    """
    try:
        sent = urlsplit(origin)
        here = urlsplit(f"{scheme}://{host}")
        return (
            sent.scheme in ("http", "https")
            and (sent.hostname or "") == (here.hostname or "")
            and _port(sent.scheme, sent.port) == _port(scheme, here.port)
        )
    except ValueError:
        return False


class _BodyTooLarge(Exception):
    """Raised into the application when its body went over the ceiling (already answered)."""


class Guard:
    """The ASGI middleware (see the module docstring).

    Args:
        app: the application.
        ceiling: the body ceiling and its limit's name, for a path.
        allowed_hosts: host names on top of ``LOCAL_HOSTS`` and the address a request
            arrived on; ``*`` turns the check off.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        ceiling: Callable[[str], tuple[int, str]],
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.ceiling = ceiling
        self.allowed = (*LOCAL_HOSTS, *allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one request, then pass it on with its body counted and headers added."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = content_policy(path)
        started = False

        async def secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = Headers(raw=message.get("headers", []))
                extra = {
                    "x-content-type-options": "nosniff",
                    "x-frame-options": "DENY",
                    "referrer-policy": "no-referrer",
                    "content-security-policy": policy,
                }
                message["headers"] = list(message.get("headers", [])) + [
                    (k.encode(), v.encode()) for k, v in extra.items() if k not in headers
                ]
            await send(message)

        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, secured)
            return
        ceiling, name = self.ceiling(path)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > ceiling:
            message = f"request body of {length} bytes over {ceiling}"
            await _error(413, "too_large", message, name)(scope, receive, secured)
            return

        received = 0
        answered = False

        async def counted() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > ceiling:
                    if not started:
                        answer = _error(
                            413, "too_large", f"request body over {ceiling} bytes", name
                        )
                        # Close the connection after the answer: the rest is not read.
                        answer.headers["connection"] = "close"
                        await answer(scope, receive, secured)
                    answered = True
                    raise _BodyTooLarge
            return message

        async def unless_answered(message: Message) -> None:
            if not answered:
                await secured(message)

        try:
            await self.app(scope, counted, unless_answered)
        except Exception:
            if not answered:
                raise  # a fault of the application: the server's error handling answers

    def _refusal(self, scope: Scope, headers: Headers) -> JSONResponse | None:
        host = headers.get("host")
        if host is not None:
            server = scope.get("server") or ("",)
            allowed = (*self.allowed, str(server[0]).lower())
            if not host_allowed(_hostname(host), allowed):
                return _error(
                    400,
                    "invalid_host",
                    f"this server does not answer to the host name {_hostname(host)[:100]!r} "
                    "(allowed hosts: CLASSWIDE_ALLOWED_HOSTS)",
                )
        origin = headers.get("origin")
        if scope.get("method") not in _SAFE_METHODS and origin is not None:
            if not same_origin(origin, host or "", scope.get("scheme", "http")):
                return _error(
                    403,
                    "cross_origin",
                    "a request from another site's page is refused: use this server's page "
                    "or a client that sends no Origin header",
                )
        return None


__all__ = ["LOCAL_HOSTS", "Guard", "content_policy", "host_allowed", "same_origin"]
