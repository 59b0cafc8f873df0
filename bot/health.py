"""Health endpoint and Prometheus metrics, served on a local port for monitoring."""

import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)


class Metrics:
    """The service's counters, in a registry of its own (several bots can share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter("hoidap_questions", "Questions received", registry=self.registry)
        self.answered = Counter(
            "hoidap_answered",
            "Answers with citations that Telegram acknowledged",
            registry=self.registry,
        )
        self.abstained = Counter(
            "hoidap_abstained",
            "'Not found in the documents' replies that Telegram acknowledged",
            registry=self.registry,
        )
        self.busy = Counter(
            "hoidap_busy_replies",
            "Questions past the backlog bound, told to ask again",
            registry=self.registry,
        )
        self.dropped = Counter(
            "hoidap_questions_dropped",
            "Questions past the backlog bound from chats already told the bot is busy",
            registry=self.registry,
        )
        self.errors = Counter(
            "hoidap_errors", "Updates whose handling failed", registry=self.registry
        )
        self.polling_errors = Counter(
            "hoidap_polling_errors", "getUpdates calls that failed", registry=self.registry
        )
        self.skipped = Counter(
            "hoidap_updates_skipped", "Updates that could not be read", registry=self.registry
        )
        self.sends = Counter(
            "hoidap_sends",
            "Messages sent: delivered (acknowledged), retried (a transient failure), "
            "failed (given up)",
            ["outcome"],
            registry=self.registry,
        )
        self.backlog = Gauge(
            "hoidap_backlog_questions",
            "Updates received and not yet fully answered",
            registry=self.registry,
        )
        self.backlog_age = Gauge(
            "hoidap_backlog_oldest_seconds",
            "Age of the oldest update not yet fully answered",
            registry=self.registry,
        )
        self.latency = Histogram(
            "hoidap_answer_latency_seconds",
            "Time to find an answer (retrieval only)",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.end_to_end = Histogram(
            "hoidap_update_to_answer_seconds",
            "From an update's arrival to Telegram acknowledging its (last) reply",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
            registry=self.registry,
        )


class Health:
    """What the health endpoint reports; written by the bot, read by the HTTP thread."""

    def __init__(self, silence_limit: float = 120.0, backlog_bound: float = 60.0) -> None:
        self.documents: int | None = None
        self.started = time.time()
        self.last_contact: float | None = None
        self.failing_since: float | None = None
        self.last_error: str | None = None
        self.attempts = 0
        self.token_rejected = False
        self.backlog = 0
        self.oldest: float | None = None
        self._silence_limit = silence_limit
        self._backlog_bound = backlog_bound

    def index_loaded(self, documents: int) -> None:
        self.documents = documents

    def contacted(self, sent_at: float | None = None) -> float | None:
        """Telegram answered a call made at `sent_at`; returns how long it had been failing,
        if that call ended the failure. An answer to a call made before the failure began
        (in flight when the outage hit) ends nothing: it would log "reachable again" and
        then a second warning for the same outage."""
        self.last_contact = time.time()
        failing = self.failing_since
        if failing is not None and sent_at is not None and sent_at < failing:
            return None
        self.failing_since, self.attempts = None, 0
        return None if failing is None else self.last_contact - failing

    def failed(self, error: BaseException) -> bool:
        """A call to Telegram failed for want of an answer; True if the first in a row."""
        self.last_error = type(error).__name__
        self.attempts += 1
        if self.failing_since is None:
            self.failing_since = time.time()
            return True
        return False

    def reasons(self) -> list[str]:
        now = time.time()
        reasons = []
        if self.documents is None:
            reasons.append("the index is not loaded yet")
        if self.token_rejected:
            reasons.append("Telegram rejected the bot token")
        silent = now - (self.last_contact or self.started)
        if self.last_contact is None and self.failing_since is not None:
            reasons.append(
                f"Telegram not reached since start-up ({self.attempts} attempts, {self.last_error})"
            )
        elif silent > self._silence_limit:
            reasons.append(f"Telegram not reached for {silent:.0f} s")
        if self.oldest is not None and now - self.oldest > self._backlog_bound:
            reasons.append(
                f"the oldest question has waited {now - self.oldest:.0f} s "
                f"(bound {self._backlog_bound:.0f} s)"
            )
        return reasons

    def report(self) -> dict[str, object]:
        now = time.time()
        since = None if self.last_contact is None else round(now - self.last_contact, 1)
        reasons = self.reasons()
        return {
            "status": "ok" if not reasons else "unavailable",
            "reasons": reasons,
            "index_loaded": self.documents is not None,
            "documents": self.documents,
            "last_telegram_contact": self.last_contact,
            "seconds_since_telegram_contact": since,
            "telegram_failing_since": self.failing_since,
            "telegram_failed_attempts": self.attempts,
            "telegram_last_error": self.last_error,
            "backlog": self.backlog,
            "oldest_question_seconds": None if self.oldest is None else round(now - self.oldest, 1),
        }


class MonitoringServer:
    """`GET /health` (JSON; 503 with the reasons when unwell) and `GET /metrics`, in a thread."""

    def __init__(self, host: str, port: int, health: Health, metrics: Metrics) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.rstrip("/") in ("/health", "/healthz"):
                    report = health.report()
                    ok = not report["reasons"]
                    self._send(
                        HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE,
                        "application/json",
                        json.dumps(report).encode(),
                    )
                elif self.path == "/metrics":
                    self._send(
                        HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest(metrics.registry)
                    )
                else:
                    self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found\n")

            def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # Monitoring polls every few seconds; one line per probe would drown the log.
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="hoidap-monitoring", daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
