"""The webhook server: Telegram's POSTs are stored in the inbox before they get their 200.

Telegram repeats a call until it gets a 2xx, so an update reaches the inbox at least once,
and the inbox keeps it once. Bodies are never logged: they hold users' text.
"""

import hmac
import json
import logging
from collections.abc import Callable
from http import HTTPStatus

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler, stream_request_body

from bot.store import Store

logger = logging.getLogger(__name__)

# Telegram's updates are a few kilobytes; a megabyte leaves room for the largest. Bodies up
# to 16 times that are read and refused with 413; beyond, Tornado drops the connection.
MAX_BODY = 1 << 20


@stream_request_body
class _UpdateHandler(RequestHandler):
    def initialize(self, store: Store, secret: str, on_new: Callable[[], None]) -> None:
        self.store = store
        self.secret = secret
        self.on_new = on_new
        self.chunks: list[bytes] = []
        self.size = 0
        self.forbidden = False

    def prepare(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        self.forbidden = not hmac.compare_digest(given.encode(), self.secret.encode())

    def data_received(self, chunk: bytes) -> None:
        # A forged or oversized body is read and dropped, then refused: answering before it
        # is all read makes Tornado close the connection, and a client that had already sent
        # its next request on that kept-alive connection would lose it.
        self.size += len(chunk)
        if self.size <= MAX_BODY and not self.forbidden:
            self.chunks.append(chunk)

    async def post(self) -> None:
        if self.forbidden:
            self._reply(HTTPStatus.FORBIDDEN)
            return
        if self.size > MAX_BODY:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        try:
            update = json.loads(b"".join(self.chunks))
        except ValueError:
            self._reply(HTTPStatus.BAD_REQUEST)
            return
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            self._reply(HTTPStatus.BAD_REQUEST)
            return
        added = await self.store.add_updates(
            [(update["update_id"], json.dumps(update, ensure_ascii=False))]
        )
        if added:
            self.on_new()
        self._reply(HTTPStatus.OK)

    def _reply(self, status: HTTPStatus) -> None:
        self.set_status(status)
        self.finish()

    def log_exception(self, *args: object) -> None:
        # Tornado's default would log the request, which carries the secret in a header.
        logger.error("webhook request failed")


def webhook_server(
    listen: str, port: int, path: str, store: Store, secret: str, on_new: Callable[[], None]
) -> HTTPServer:
    """An HTTP server on `listen:port` taking Telegram's POSTs on `/path`, started."""
    routes = [
        (
            f"/{path.strip('/')}",
            _UpdateHandler,
            {"store": store, "secret": secret, "on_new": on_new},
        )
    ]
    server = HTTPServer(Application(routes), max_body_size=16 * MAX_BODY)
    try:
        sockets = bind_sockets(port, listen)
    except OSError as exc:
        raise OSError(
            f"cannot listen for the webhook on {listen}:{port} ({exc.strerror or exc}); "
            "set HOIDAP_WEBHOOK_PORT to a free port"
        ) from exc
    server.add_sockets(sockets)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    return server
