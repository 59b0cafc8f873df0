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
    Histogram,
    generate_latest,
)


class Metrics:
    """The service's counters, in a registry of its own (several bots can share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter("hoidap_questions", "Questions received", registry=self.registry)
        self.answered = Counter(
            "hoidap_answered", "Questions answered with citations", registry=self.registry
        )
        self.abstained = Counter(
            "hoidap_abstained", "Questions the documents could not answer", registry=self.registry
        )
        self.errors = Counter(
            "hoidap_errors", "Updates whose handling failed", registry=self.registry
        )
        self.latency = Histogram(
            "hoidap_answer_latency_seconds",
            "Time to answer a question, retrieval included",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )


class Health:
    """What the health endpoint reports; written by the bot, read by the HTTP thread."""

    def __init__(self) -> None:
        self.documents: int | None = None
        self.last_contact: float | None = None

    def index_loaded(self, documents: int) -> None:
        self.documents = documents

    def contacted(self) -> None:
        self.last_contact = time.time()

    def report(self) -> dict[str, object]:
        since = None if self.last_contact is None else round(time.time() - self.last_contact, 1)
        return {
            "status": "ok" if self.documents is not None else "starting",
            "index_loaded": self.documents is not None,
            "documents": self.documents,
            "last_telegram_contact": self.last_contact,
            "seconds_since_telegram_contact": since,
        }


class MonitoringServer:
    """`GET /health` (JSON, 503 until the index is loaded) and `GET /metrics`, in a thread."""

    def __init__(self, host: str, port: int, health: Health, metrics: Metrics) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.rstrip("/") in ("/health", "/healthz"):
                    report = health.report()
                    ok = report["index_loaded"]
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
