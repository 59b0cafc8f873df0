"""The durable inbox (updates received) and outbox (replies to send), in SQLite.

An update is written here before Telegram is told it arrived, and a reply is marked sent only
once Telegram has acknowledged it, so a crash, kill -9 or reboot loses neither. The database
runs in WAL mode with full synchronisation: a committed row survives a power cut too.

Every call blocks on disk; `Store` runs them one at a time in a thread of its own so the
event loop never waits on fsync.
"""

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    update_id INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,
    -- 'new' until handled, then 'done' or 'skipped' (could not be read)
    state TEXT NOT NULL,
    -- the update as Telegram sent it; cleared once handled (it holds the user's text)
    data TEXT
);
CREATE INDEX IF NOT EXISTS inbox_new ON inbox (state, received_at);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    update_id INTEGER NOT NULL,
    part INTEGER NOT NULL,
    parts INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    received_at REAL NOT NULL,
    -- what the reply is, for the metrics: 'answered', 'abstained', 'busy' or ''
    kind TEXT NOT NULL,
    -- 'pending' until Telegram acknowledged it ('sent') or it was given up ('failed')
    state TEXT NOT NULL,
    -- the sendMessage parameters; cleared once sent or given up
    payload TEXT,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (state, update_id, part);
"""


@dataclass(frozen=True)
class Incoming:
    update_id: int
    received_at: float
    data: str


@dataclass(frozen=True)
class Reply:
    """One message to send: `sendMessage` parameters plus what it answers."""

    chat_id: int
    params: dict[str, Any]
    kind: str = ""


@dataclass(frozen=True)
class Outgoing:
    id: int
    update_id: int
    part: int
    parts: int
    chat_id: int
    received_at: float
    kind: str
    params: dict[str, Any]

    @property
    def last(self) -> bool:
        return self.part == self.parts - 1


class Store:
    """The SQLite database in `folder`, created if missing."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "hoidap-bot.sqlite3"
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hoidap-store")
        self._conn = self._executor.submit(self._connect).result()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(_SCHEMA)
        return conn

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(self._conn)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return result

    def close(self) -> None:
        self._executor.submit(self._conn.close).result()
        self._executor.shutdown()

    # --- the inbox ------------------------------------------------------------------------

    async def add_updates(self, updates: Iterable[tuple[int, str]]) -> list[int]:
        """Store updates not seen before; returns the ids that were new."""
        rows = list(updates)

        def add(conn: sqlite3.Connection) -> list[int]:
            now = time.time()
            added = []
            for update_id, data in rows:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO inbox VALUES (?, ?, 'new', ?)", (update_id, now, data)
                )
                if cursor.rowcount:
                    added.append(update_id)
            return added

        return await self._run(self._transaction, add)

    async def new_updates(self, limit: int, skip: Iterable[int] = ()) -> list[Incoming]:
        """The oldest updates not yet handled, leaving out those in `skip` (being handled)."""
        skipped = set(skip)

        def read() -> list[Incoming]:
            rows = self._conn.execute(
                "SELECT update_id, received_at, data FROM inbox WHERE state = 'new' "
                "ORDER BY received_at, update_id LIMIT ?",
                (limit + len(skipped),),
            ).fetchall()
            return [Incoming(*row) for row in rows if row[0] not in skipped][:limit]

        return await self._run(read)

    async def finish(
        self, incoming: Incoming, replies: list[Reply], state: str = "done"
    ) -> list[Outgoing]:
        """Mark an update handled and queue its replies, in one transaction."""

        def finish(conn: sqlite3.Connection) -> list[Outgoing]:
            conn.execute(
                "UPDATE inbox SET state = ?, data = NULL WHERE update_id = ?",
                (state, incoming.update_id),
            )
            queued = []
            for part, reply in enumerate(replies):
                params = json.dumps(reply.params, ensure_ascii=False)
                cursor = conn.execute(
                    "INSERT INTO outbox (update_id, part, parts, chat_id, received_at, kind, "
                    "state, payload) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
                    (
                        incoming.update_id,
                        part,
                        len(replies),
                        reply.chat_id,
                        incoming.received_at,
                        reply.kind,
                        params,
                    ),
                )
                queued.append(
                    Outgoing(
                        cursor.lastrowid or 0,
                        incoming.update_id,
                        part,
                        len(replies),
                        reply.chat_id,
                        incoming.received_at,
                        reply.kind,
                        reply.params,
                    )
                )
            return queued

        return await self._run(self._transaction, finish)

    # --- the outbox ------------------------------------------------------------------------

    async def pending_replies(self) -> list[Outgoing]:
        def read() -> list[Outgoing]:
            rows = self._conn.execute(
                "SELECT id, update_id, part, parts, chat_id, received_at, kind, payload "
                "FROM outbox WHERE state = 'pending' ORDER BY update_id, part"
            ).fetchall()
            return [Outgoing(*row[:7], json.loads(row[7])) for row in rows]

        return await self._run(read)

    async def mark_sent(self, reply: Outgoing) -> None:
        await self._run(self._set_state, [reply.id], "sent")

    async def mark_failed(self, replies: list[Outgoing]) -> None:
        await self._run(self._set_state, [r.id for r in replies], "failed")

    def _set_state(self, ids: list[int], state: str) -> None:
        self._conn.executemany(
            "UPDATE outbox SET state = ?, payload = NULL, done_at = ? WHERE id = ?",
            [(state, time.time(), row_id) for row_id in ids],
        )

    # --- housekeeping ----------------------------------------------------------------------

    async def backlog(self) -> tuple[int, float | None]:
        """Questions received and not yet fully answered, and when the oldest arrived."""

        def read() -> tuple[int, float | None]:
            return self._conn.execute(
                "SELECT COUNT(*), MIN(received_at) FROM ("
                "SELECT update_id, received_at FROM inbox WHERE state = 'new' UNION "
                "SELECT update_id, received_at FROM outbox WHERE state = 'pending')"
            ).fetchone()

        return await self._run(read)

    async def purge(self, older_than: float) -> int:
        """Delete everything received before `older_than`, answered or not."""

        def purge(conn: sqlite3.Connection) -> int:
            deleted = conn.execute("DELETE FROM inbox WHERE received_at < ?", (older_than,))
            replies = conn.execute("DELETE FROM outbox WHERE received_at < ?", (older_than,))
            return deleted.rowcount + replies.rowcount

        return await self._run(self._transaction, purge)
