"""What every request passes before and after the routes: input the framework would
accept silently (invalid UTF-8 in the query string, oversized bodies), keys and rate
limits, the access log without query strings, and errors that must not become tracebacks.
"""

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable, Collection
from urllib.parse import unquote_to_bytes

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.problems import Problem, problem_response
from service.shared_limits import SharedLimiter

logger = logging.getLogger("service.access")


class _BodyTooLarge(Exception):
    pass


class RequestMetrics:
    """Requests by route and status, beside the bot's question counters."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "hoidap_api_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=registry,
        )


class Guard:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on every request)."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, metrics: RequestMetrics | None = None
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                await problem_response(*refusal)(scope, receive, send_tracking)
            else:
                await self.app(scope, self._limited(receive), send_tracking)
        except _BodyTooLarge:
            if not status:
                await problem_response(413, self._too_large)(scope, receive, send_tracking)
        except Exception:
            # Logged with its traceback for the administrator; the client gets one line.
            logger.exception("internal error on %s %s", scope["method"], scope["path"])
            if not status:
                await problem_response(500, "Lỗi máy chủ; xin thử lại sau.")(
                    scope, receive, send_tracking
                )
        finally:
            self._record(scope, status, started)

    @property
    def _too_large(self) -> str:
        return f"Nội dung gửi lên quá lớn (tối đa {self.max_body} byte)."

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        # Starlette would decode these with replacement characters and answer a question
        # nobody asked.
        for raw in (scope["query_string"], scope.get("raw_path") or b""):
            try:
                unquote_to_bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                return 400, "Địa chỉ yêu cầu có byte không phải UTF-8."
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    return 400, "Content-Length không hợp lệ."
                if int(value) > self.max_body:
                    return 413, self._too_large
        return None

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge
            return message

        return receive_limited

    def _record(self, scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "other"
        if self.metrics is not None:
            self.metrics.requests.labels(template, str(status)).inc()
        # The path only: a question travels in the query string or the body, never logged.
        level = logging.DEBUG if template in ("/health", "/metrics") else logging.INFO
        if logger.isEnabledFor(level):
            took = (time.perf_counter() - started) * 1000
            logger.log(level, "%s %s %d %.1f ms", scope["method"], scope["path"], status, took)


bearer = HTTPBearer(auto_error=False, description="Một khóa trong HOIDAP_API_KEYS")


class Gate:
    """API keys (when configured) and a per-caller sliding-window rate limit."""

    def __init__(self, keys: Collection[str], limiter: SharedLimiter) -> None:
        self._keys = [key.encode() for key in keys]
        self._limiter = limiter

    def caller(self, request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
        """Who is asking: a digest of their key, or their address when no keys are set."""
        if not self._keys:
            return request.client.host if request.client else "?"
        given = credentials.credentials.encode() if credentials else b""
        # Compare with every key, constant-time, so timing says nothing about which matched.
        matched = [hmac.compare_digest(given, key) for key in self._keys]
        if not given or not any(matched):
            raise Problem(
                401,
                "Thiếu khóa API hoặc khóa không đúng (Authorization: Bearer <khóa>).",
                {"WWW-Authenticate": "Bearer"},
            )
        return hashlib.sha256(given).hexdigest()[:16]

    def dependency(self, limited: bool = True) -> Callable[..., None]:
        """The key check, and unless not `limited` (monitoring's scrapes), the rate limit."""

        async def authorize(
            request: Request,
            credentials: HTTPAuthorizationCredentials | None = Security(bearer),  # noqa: B008
        ) -> None:
            caller = self.caller(request, credentials)
            wait = self._limiter.check(caller) if limited else 0
            if wait:
                raise Problem(
                    429,
                    "Quá nhiều yêu cầu; xin chờ một lát rồi thử lại.",
                    {"Retry-After": str(math.ceil(wait))},
                )

        return authorize
