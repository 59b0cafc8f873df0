"""The durable inbox and outbox: WAL, deduplication, users' text kept no longer than needed."""

import json
import sqlite3
import time

from bot.store import Reply, Store


async def test_updates_are_kept_once_and_their_text_dropped_once_answered(tmp_path):
    store = Store(tmp_path / "state")
    try:
        update = json.dumps({"update_id": 7, "message": {"text": "Bí mật của Lan"}})
        assert await store.add_updates([(7, update), (8, "{}")]) == [7, 8]
        assert await store.add_updates([(7, update)]) == []
        (first, second) = await store.new_updates(10)
        assert [first.update_id, second.update_id] == [7, 8]
        assert await store.new_updates(10, skip=[7]) == [second]

        reply = Reply(1001, {"chat_id": 1001, "text": "Trả lời"}, "answered")
        (queued,) = await store.finish(first, [reply])
        assert queued.last and queued.kind == "answered"
        assert await store.pending_replies() == [queued]
        assert await store.backlog() == (2, first.received_at)
        await store.mark_sent(queued)
        await store.finish(second, [], state="skipped")
        assert await store.pending_replies() == []
        assert await store.backlog() == (0, None)
    finally:
        store.close()
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        rows = conn.execute("SELECT data FROM inbox").fetchall()
        payloads = conn.execute("SELECT payload, state FROM outbox").fetchall()
    assert rows == [(None,), (None,)]
    assert payloads == [(None, "sent")]


async def test_retention_deletes_questions_answered_or_not(tmp_path):
    store = Store(tmp_path / "state")
    try:
        await store.add_updates([(1, "{}"), (2, "{}")])
        (incoming, _) = await store.new_updates(10)
        await store.finish(incoming, [Reply(1, {"chat_id": 1, "text": "…"})])
        assert await store.purge(time.time() - 3600) == 0
        assert await store.purge(time.time() + 1) == 3
        assert await store.new_updates(10) == [] and await store.pending_replies() == []
        # Deleted ids are new again: retention must outlast Telegram's redelivery (a day).
        assert await store.add_updates([(1, "{}")]) == [1]
    finally:
        store.close()
