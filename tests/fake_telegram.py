"""A local stand-in for the Telegram Bot API, over real HTTP on 127.0.0.1 (the fixtures that
run a bot against it are in tests/bot_fixtures.py).

The bot reaches it through python-telegram-bot's `base_url`, exactly as it would reach a
self-hosted Bot API server. Tests queue updates (served by getUpdates), read back every
call the bot made, and inject faults: chosen methods failing (500, 429 with retry_after,
401), calls that stall and never arrive, refused connections (the server stops listening),
a revoked token, and updates delivered again after they were confirmed.
"""

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler

# Shaped like a BotFather token, obviously fake, and never written out as one literal.
TOKEN = "123456789:" + "x" * 35
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Hỏi đáp",
    "username": "hoidap_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
# Parameters the Bot API takes as JSON; everything else stays the string the bot sent.
_JSON_PARAMS = {
    "reply_markup",
    "results",
    "commands",
    "entities",
    "reply_parameters",
    "link_preview_options",
    "allowed_updates",
    "button",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


class FakeTelegram:
    """Records the bot's calls and serves queued updates through getUpdates."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.tokens: set[str] = set()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._chats: dict[int, dict[str, Any]] = {}
        self._failures: defaultdict[str, deque[tuple[int, str, dict[str, Any]]]] = defaultdict(
            deque
        )
        self._always_failing: dict[str, tuple[int, str]] = {}
        self._changed = asyncio.Condition()
        self._server: HTTPServer | None = None
        self.port = 0
        self.bot_user = BOT_USER
        self.token = TOKEN
        self.revoked = False
        self.down = False
        self._answering = 0
        # The highest offset a getUpdates call confirmed (updates below it are gone).
        self.offset = 0
        self._stalls: defaultdict[str, int] = defaultdict(int)
        self._unstall = asyncio.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        sockets = bind_sockets(self.port, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        app = TornadoApplication([(r"/bot([^/]+)/(\w+)", _MethodHandler, {"fake": self})])
        self._server = HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        self._unstall.set()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    async def go_down(self) -> None:
        """Refuse connections (nothing listens on the port) until `come_up`. Calls already
        being answered finish first, so that none is both carried out and cut off: a
        refused connection is a call that never arrived."""
        self.down = True
        if self._server is not None:
            self._server.stop()
        while self._answering:
            await asyncio.sleep(0.01)
        await self.stop()

    async def come_up(self) -> None:
        self._unstall = asyncio.Event()
        self.down = False
        await self.start()

    def stall(self, method: str, times: int = 1_000_000) -> None:
        """The next `times` calls of `method` hang without effect until `unstall` (a request
        lost in the network: it never arrives)."""
        self._stalls[method] = times

    def unstall(self) -> None:
        self._stalls.clear()
        self._unstall.set()
        self._unstall = asyncio.Event()

    def revoke(self) -> None:
        """The token stops working, as after /revoke in BotFather: every call gets 401."""
        self.revoked = True

    def redeliver(self, update: dict[str, Any]) -> None:
        """Serve an update again that was already confirmed (same update_id)."""
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    # --- what tests feed in ---------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail with `status`."""
        parameters = {"retry_after": retry_after} if retry_after is not None else {}
        self._failures[method].extend([(status, description, parameters)] * times)

    def fail_always(self, method: str, status: int, description: str) -> None:
        self._always_failing[method] = (status, description)

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def message(
        self,
        text: str | None = None,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str = "private",
        entities: list[dict[str, Any]] | None = None,
        reply_to: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Queue a message from user `user_id` (in their private chat unless `chat_id`)."""
        chat_id = user_id if chat_id is None else chat_id
        chat = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Lan"
        else:
            chat["title"] = "Nhóm thử"
        self._chats[chat_id] = chat
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
        }
        if text is not None:
            message["text"] = text
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra or {})
        return self._push({"message": message})

    def command(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """Queue a message starting with a /command (with its bot_command entity)."""
        length = len(text.split(" ", 1)[0])
        return self.message(
            text, entities=[{"type": "bot_command", "offset": 0, "length": length}], **kwargs
        )

    def callback(self, data: str, message: dict[str, Any], user_id: int = 1001) -> dict[str, Any]:
        """Queue a press on an inline button with `data` under the bot's `message`."""
        return self._push(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
                    "chat_instance": "1",
                    "data": data,
                    "message": message,
                }
            }
        )

    def inline(self, query: str, user_id: int = 1001) -> dict[str, Any]:
        return self._push(
            {
                "inline_query": {
                    "id": str(next(self._message_ids)),
                    "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
                    "query": query,
                    "offset": "",
                }
            }
        )

    # --- what tests read back ---------------------------------------------------------------

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    async def wait_for(
        self,
        method: str = "sendMessage",
        count: int = 1,
        where: Callable[[dict[str, Any]], bool] = lambda params: True,
        timeout: float = 10,
    ) -> list[dict[str, Any]]:
        """The first `count` calls of `method` matching `where`, once they have arrived."""

        def matching() -> list[dict[str, Any]]:
            return [params for params in self.sent(method) if where(params)]

        async def arrived() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(matching()) >= count)

        await asyncio.wait_for(arrived(), timeout)
        return matching()[:count]

    async def quiet(self, seconds: float = 0.3) -> None:
        """Let the bot handle what is queued, for tests asserting that nothing was sent."""
        await asyncio.sleep(seconds)

    # --- the Bot API side ---------------------------------------------------------------------

    async def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if self.down:
            return 503, {"ok": False, "error_code": 503, "description": "Service Unavailable"}
        if self._stalls[method] > 0:
            self._stalls[method] -= 1
            await self._unstall.wait()
            return 504, {"ok": False, "error_code": 504, "description": "Gateway Timeout"}
        if method == "getUpdates":
            return await self._handle(token, method, params)
        self._answering += 1
        try:
            return await self._handle(token, method, params)
        finally:
            self._answering -= 1

    async def _handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        self.tokens.add(token)
        if token != TOKEN or self.revoked:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method != "getUpdates":
            self.calls.append(Call(method, params))
            await self._notify()
        failure = self._failures[method].popleft() if self._failures[method] else None
        if failure is None and method in self._always_failing:
            failure = (*self._always_failing[method], {})
        if failure is not None:
            status, description, parameters = failure
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if parameters:
                body["parameters"] = parameters
            return status, body
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, {"ok": True, "result": handler(params)}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        # Updates below the offset are confirmed by the bot and never served again.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self.offset = max(self.offset, offset)
        timeout = min(float(params.get("timeout", 0)), 2.0)
        if not self._updates and timeout > 0:
            async with self._changed:
                with suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates)), timeout
                    )
        return list(self._updates)

    def _bot_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private"}),
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_message(params)

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_message(params)

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[Any]:
        commands = self.sent("setMyCommands")
        return commands[-1]["commands"] if commands else []

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _true(self, params: dict[str, Any]) -> bool:
        return True

    _api_answerCallbackQuery = _api_sendChatAction = _api_setMyCommands = _true
    _api_deleteWebhook = _api_setWebhook = _api_answerInlineQuery = _true
    _api_close = _api_logOut = _true


class _MethodHandler(RequestHandler):
    def initialize(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def post(self, token: str, method: str) -> None:
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            raw: dict[str, Any] = json.loads(self.request.body or b"{}")
        else:
            raw = {k: v[-1].decode() for k, v in self.request.body_arguments.items()}
            raw |= {k: v[-1].decode() for k, v in self.request.query_arguments.items()}
        params = {
            k: json.loads(v) if k in _JSON_PARAMS and isinstance(v, str) else v
            for k, v in raw.items()
        }
        status, body = await self.fake.handle(token, method, params)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    get = post
