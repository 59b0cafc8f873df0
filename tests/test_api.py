"""The HTTP API over real HTTP: uvicorn on 127.0.0.1 in a thread, the real engine over the
bundled seeds, httpx as the client. `hoidap serve` itself is tested in test_api_serve.py."""

import json
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from bot.config import ApiSettings
from retrieval import Engine
from service.run import listen, make_server, start_in_thread

QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"
KEY = "k" * 20 + "-test-key"


@pytest.fixture(scope="module")
def seeds_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine.open(index=tmp_path_factory.mktemp("api") / "seeds.index", notice=lambda _: None)


@contextmanager
def running_api(engine: Engine, **overrides: Any) -> Iterator[httpx.Client]:
    settings = ApiSettings(_env_file=None, **({"api_port": 0} | overrides))  # type: ignore[call-arg]
    sock = listen(settings.api_host, 0)
    server = make_server(engine, settings)
    thread = start_in_thread(server, sock)
    port = sock.getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def api(seeds_engine: Engine) -> Iterator[httpx.Client]:
    with running_api(seeds_engine, api_requests_per_window=10_000) as client:
        yield client


@pytest.fixture
def start_api(seeds_engine: Engine) -> Callable[..., Any]:
    return lambda **overrides: running_api(seeds_engine, **overrides)


def server_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the server logged (the test's own client, httpx, logs its URLs)."""
    return "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )


def is_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def test_ask_get_and_post_give_the_answer_with_citations(api):
    by_get = api.get("/v1/ask", params={"q": QUESTION})
    by_post = api.post("/v1/ask", json={"question": QUESTION})
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.headers["content-type"] == "application/json"
    assert by_get.content == by_post.content
    answer = by_get.json()
    assert answer["question"] == QUESTION and answer["answered"] is True
    assert "Lê Hoài Trung" in answer["sentences"][0]["text"]


def test_a_citation_can_be_checked_against_its_documents_text(api):
    answer = api.get("/v1/ask", params={"q": QUESTION}).json()
    for citation in answer["sentences"]:
        document = api.get(f"/v1/documents/{citation['doc_id']}").json()
        assert document["doc_id"] == citation["doc_id"]
        assert document["title"] == citation["title"]
        assert document["text"][citation["start"] : citation["end"]] == citation["text"]


def test_an_unanswerable_question_abstains_with_a_hint(api):
    answer = api.get("/v1/ask", params={"q": "Giá vàng hôm nay bao nhiêu?"}).json()
    assert answer["answered"] is False and answer["sentences"] == [] and answer["hint"]


def test_search_lists_k_passages(api):
    result = api.get("/v1/search", params={"q": "Đại hội XIV", "k": 3}).json()
    assert result["query"] == "Đại hội XIV"
    assert [hit["rank"] for hit in result["hits"]] == [1, 2, 3]
    assert "XIV" in result["hits"][0]["text"] or "14" in result["hits"][0]["text"]


def test_documents_are_listed_a_page_at_a_time(api):
    first = api.get("/v1/documents", params={"limit": 2}).json()
    rest = api.get("/v1/documents", params={"offset": 2, "limit": 10}).json()
    assert first["total"] == rest["total"] == 5
    assert len(first["documents"]) == 2 and len(rest["documents"]) == 3
    ids = [d["doc_id"] for d in first["documents"] + rest["documents"]]
    assert len(set(ids)) == 5
    is_problem(api.get("/v1/documents/khong-co"), 404)


VIETNAMESE_10K = ("Ngày 31/12, tại trụ sở Bộ Ngoại giao đã diễn ra cuộc họp. " * 200)[:10_000]


@pytest.mark.parametrize(
    ("method", "target", "kwargs", "status"),
    [
        (
            "POST",
            "/v1/ask",
            {"content": b"{khong phai json", "headers": {"content-type": "application/json"}},
            400,
        ),
        (
            "POST",
            "/v1/ask",
            {"content": b"\xff\xfe{}", "headers": {"content-type": "application/json"}},
            400,
        ),
        ("POST", "/v1/ask", {"json": {}}, 422),
        ("POST", "/v1/ask", {"json": {"q": QUESTION}}, 422),
        ("POST", "/v1/ask", {"json": {"question": 42}}, 422),
        ("POST", "/v1/ask", {"json": {"question": None}}, 422),
        ("POST", "/v1/ask", {"json": [QUESTION]}, 422),
        ("POST", "/v1/ask", {"json": {"question": "   "}}, 422),
        ("POST", "/v1/ask", {"json": {"question": VIETNAMESE_10K}}, 422),
        ("POST", "/v1/ask", {"json": {"question": VIETNAMESE_10K * 2}}, 413),
        ("POST", "/v1/ask", {"json": {"question": "Ai " * 300}}, 422),
        ("GET", "/v1/ask", {}, 422),
        ("GET", "/v1/ask?q=", {}, 422),
        ("GET", "/v1/ask", {"params": {"q": VIETNAMESE_10K}}, 422),
        ("GET", "/v1/ask?q=%C6%B0%FF", {}, 400),
        ("GET", "/v1/ask?q=%E1%BB", {}, 400),
        ("GET", "/v1/search?q=abc&k=0", {}, 422),
        ("GET", "/v1/search?q=abc&k=nhieu", {}, 422),
        ("GET", "/v1/documents?offset=-1", {}, 422),
        ("GET", "/v1/documents/%FF", {}, 400),
        ("DELETE", "/v1/ask", {}, 405),
        ("GET", "/v1/khong-co", {}, 404),
    ],
)
def test_bad_input_is_a_4xx_problem_never_a_500(api, caplog, method, target, kwargs, status):
    with caplog.at_level(logging.INFO):
        response = api.request(method, target, **kwargs)
    body = is_problem(response, status)
    # Neither the question nor anything of the rejected input comes back or goes to the log.
    for text in (QUESTION, "Ngày 31/12", "khong phai json"):
        assert text not in body["detail"] and text not in server_log(caplog)


def test_the_log_at_info_has_paths_but_no_question_text(api, caplog):
    with caplog.at_level(logging.INFO):
        api.get("/v1/ask", params={"q": QUESTION})
        api.post("/v1/ask", json={"question": "Hội nghị đối ngoại toàn quốc diễn ra ở đâu?"})
    log = server_log(caplog)
    assert "GET /v1/ask 200" in log and "POST /v1/ask 200" in log
    assert "chủ trì" not in log and "Hội nghị" not in log and "ch%E1%BB%A7" not in log


def test_keys_are_required_when_set_and_never_logged(start_api, caplog):
    with start_api(api_keys=KEY) as client, caplog.at_level(logging.DEBUG):
        missing = client.get("/v1/ask", params={"q": QUESTION})
        wrong = client.get(
            "/v1/ask", params={"q": QUESTION}, headers={"Authorization": "Bearer " + "x" * 25}
        )
        right = client.get(
            "/v1/ask", params={"q": QUESTION}, headers={"Authorization": f"Bearer {KEY}"}
        )
        metrics = client.get("/metrics")
        health = client.get("/health")
        page = client.get("/")
    assert is_problem(missing, 401) and missing.headers["www-authenticate"] == "Bearer"
    is_problem(wrong, 401)
    assert right.status_code == 200 and right.json()["answered"] is True
    is_problem(metrics, 401)
    assert health.status_code == 200 and page.status_code == 200
    assert KEY not in server_log(caplog) and "Bearer" not in server_log(caplog)


def test_each_key_has_its_own_rate_limit(start_api):
    other = "o" * 20 + "-other-key"
    with start_api(api_keys=f"{KEY},{other}", api_requests_per_window=3) as client:
        mine = {"Authorization": f"Bearer {KEY}"}
        codes = [
            client.get("/v1/search", params={"q": "Đại hội"}, headers=mine).status_code
            for _ in range(4)
        ]
        limited = client.get("/v1/search", params={"q": "Đại hội"}, headers=mine)
        theirs = client.get(
            "/v1/search", params={"q": "Đại hội"}, headers={"Authorization": f"Bearer {other}"}
        )
    assert codes == [200, 200, 200, 429]
    is_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert theirs.status_code == 200


class SlowEngine(Engine):
    """The seeds' engine, but a question starting with SLOW takes `delay` seconds of work
    first (the seeds answer in milliseconds; a huge archive or a busy machine does not)."""

    SLOW = "chậm: "

    def __init__(self, engine: Engine, delay: float) -> None:
        super().__init__(engine.index, engine.corpus, engine.index_path)
        self.delay = delay

    def ask(self, question: str, max_sentences: int = 3) -> Any:
        if question.startswith(self.SLOW):
            time.sleep(self.delay)
        return super().ask(question, max_sentences)


def test_a_slow_ask_gets_the_timeout_problem_over_http_and_the_server_stays_usable(
    seeds_engine, caplog
):
    slow = SlowEngine(seeds_engine, delay=1.5)
    with running_api(slow, api_timeout_seconds=0.3, api_threads=2) as client:
        started = time.perf_counter()
        timed_out = client.get("/v1/ask", params={"q": SlowEngine.SLOW + QUESTION})
        waited = time.perf_counter() - started
        # The same keep-alive connection, while the slow work still holds a thread.
        during = client.get("/v1/ask", params={"q": QUESTION})
        time.sleep(1.5)  # the slow work ends; its thread serves again
        after = [client.get("/v1/ask", params={"q": QUESTION}) for _ in range(3)]
    body = is_problem(timed_out, 503)
    assert "thử lại" in body["detail"]
    assert 0.3 <= waited < 1.4  # answered at the timeout, not when the work ended
    for response in [during, *after]:
        assert response.status_code == 200
        assert response.json() == seeds_engine.ask(QUESTION).to_dict()
    assert "Traceback" not in caplog.text and QUESTION not in server_log(caplog)


def test_cors_allowlist_is_empty_by_default(api, start_api):
    origin = {"Origin": "https://portal.example.org"}
    assert "access-control-allow-origin" not in api.get("/health", headers=origin).headers
    with start_api(api_cors_origins="https://portal.example.org") as client:
        allowed = client.get("/health", headers=origin)
        other = client.get("/health", headers={"Origin": "https://evil.example.com"})
        preflight = client.options(
            "/v1/ask",
            headers=origin
            | {
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example.org"
    assert "access-control-allow-origin" not in other.headers
    assert preflight.status_code == 200


def test_a_slow_client_does_not_stall_the_others(api):
    port = int(str(api.base_url).rsplit(":", 1)[1].rstrip("/"))
    stalled = []
    try:
        for _ in range(3):
            # One sends half its headers, one promises a body it never sends.
            slow = socket.create_connection(("127.0.0.1", port))
            slow.sendall(b"GET /v1/ask?q=abc HTTP/1.1\r\nHost: x\r\n")
            body = socket.create_connection(("127.0.0.1", port))
            body.sendall(
                b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"question"'
            )
            stalled += [slow, body]
        started = time.perf_counter()
        answer = api.get("/v1/ask", params={"q": QUESTION})
        took = time.perf_counter() - started
    finally:
        for sock in stalled:
            sock.close()
    assert answer.status_code == 200
    assert took < 2


def test_health_metrics_and_openapi(api):
    api.get("/v1/ask", params={"q": QUESTION})
    health = api.get("/health").json()
    assert health == {"status": "ok", "index_loaded": True, "documents": 5}
    metrics = api.get("/metrics").text
    assert re.search(r"^hoidap_questions_total [1-9]", metrics, re.M)
    assert re.search(
        r'^hoidap_api_requests_total\{route="/v1/ask",status="200"\} [1-9]', metrics, re.M
    )
    schema = api.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/search", "/v1/documents", "/v1/documents/{doc_id}"} <= set(
        schema["paths"]
    )
    assert "AnswerOut" in schema["components"]["schemas"]
    assert "swagger" in api.get("/docs").text.lower()


def test_the_page_and_its_files_are_served(api):
    page = api.get("/")
    assert page.status_code == 200 and 'lang="vi"' in page.text
    assert api.get("/static/app.js").status_code == 200
    assert api.get("/static/style.css").status_code == 200
    # The script never writes text as HTML.
    assert "innerHTML" not in api.get("/static/app.js").text
    assert json.loads(api.get("/health").content)["status"] == "ok"
