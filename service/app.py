"""The ASGI application of `hoidap serve`: the /v1 API, health, metrics and the page."""

import asyncio
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Path, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.responses import FileResponse, Response

from bot.config import ApiSettings
from bot.health import Metrics
from retrieval import Document, Engine
from retrieval.cli import hit_dict
from retrieval.formats import Unreadable
from service import schemas
from service.guards import Gate, Guard, RequestMetrics
from service.problems import Problem, install_problem_handlers
from service.responses import JSONBody
from service.shared_limits import SharedLimiter

T = TypeVar("T")

STATIC = files("service") / "static"

API_DESCRIPTION = """Hỏi đáp tiếng Việt trên kho tài liệu: câu trả lời là các câu trích nguyên
văn, kèm nguồn. Khi máy chủ nghe trên địa chỉ không phải loopback, mọi yêu cầu /v1 cần
`Authorization: Bearer <khóa>` với một khóa trong `HOIDAP_API_KEYS`. Lỗi trả về
`application/problem+json` (RFC 9457)."""

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/problem+json": {}}}
    for status, text in [
        (400, "JSON hoặc địa chỉ không hợp lệ"),
        (401, "Thiếu khóa API hoặc khóa sai"),
        (413, "Nội dung quá lớn"),
        (422, "Thiếu trường, sai kiểu, câu hỏi trống hoặc quá dài"),
        (429, "Quá giới hạn yêu cầu của khóa"),
        (503, "Hết thời gian trả lời"),
    ]
}


class Service:
    """The loaded engine and what the routes share: threads, limits, metrics."""

    def __init__(self, engine: Engine, settings: ApiSettings, metrics: Metrics) -> None:
        self.engine = engine
        self.settings = settings
        self.metrics = metrics
        # Answering is CPU work: it runs in these threads, so the event loop keeps serving
        # other clients (and slow ones) meanwhile.
        self.executor = ThreadPoolExecutor(settings.api_threads, thread_name_prefix="hoidap-api")
        self._by_id: tuple[Sequence[Document], dict[str, int]] | None = None

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        future = asyncio.get_running_loop().run_in_executor(self.executor, work, *args)
        try:
            return await asyncio.wait_for(future, self.settings.api_timeout_seconds)
        except TimeoutError:
            raise Problem(503, "Hết thời gian trả lời; xin thử lại sau.") from None

    def question(self, text: str) -> str:
        if not text.strip():
            raise Problem(422, "Câu hỏi trống.")
        limit = self.settings.max_question_chars
        if len(text) > limit:
            raise Problem(422, f"Câu hỏi quá dài (tối đa {limit} ký tự).")
        return text

    async def answer(self, question: str) -> Response:
        question = self.question(question)
        self.metrics.questions.inc()
        with self.metrics.latency.time():
            answer = await self.run(self.engine.ask, question, self.settings.answer_sentences)
        (self.metrics.answered if answer.answered else self.metrics.abstained).inc()
        return JSONBody(answer.to_dict())

    def document(self, doc_id: str) -> Document:
        documents = self.engine.documents
        # Rebuilt when the engine's documents change (a live index swaps the sequence).
        if self._by_id is None or self._by_id[0] is not documents:
            self._by_id = (documents, {d.doc_id: i for i, d in enumerate(documents)})
        position = self._by_id[1].get(doc_id)
        if position is None:
            raise Problem(404, "Không có tài liệu này.")
        return documents[position]


def _v1(service: Service, gate: Gate) -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[Depends(gate.dependency())], responses=_PROBLEMS)
    question_param = Query(description="Câu hỏi tiếng Việt", examples=["Ai chủ trì cuộc họp?"])

    @router.get("/ask", response_model=schemas.AnswerOut, summary="Hỏi (GET)")
    async def ask_get(q: Annotated[str, question_param]) -> Response:
        """Trả về đúng đối tượng mà `hoidap ask --json` in ra."""
        return await service.answer(q)

    @router.post("/ask", response_model=schemas.AnswerOut, summary="Hỏi (POST JSON)")
    async def ask_post(body: schemas.AskRequest) -> Response:
        """Như GET /v1/ask, với câu hỏi trong thân JSON `{"question": "..."}`."""
        return await service.answer(body.question)

    @router.get("/search", response_model=schemas.SearchOut, summary="Tìm đoạn văn")
    async def search(
        q: Annotated[str, Query(description="Từ khóa hoặc câu hỏi")],
        k: Annotated[int, Query(ge=1, le=50, description="Số đoạn trả về")] = 5,
    ) -> Response:
        """Các đoạn văn khớp nhất (BM25), như `hoidap search --json`."""
        query = service.question(q)
        hits = await service.run(service.engine.search, query, k)
        return JSONBody({"query": query, "hits": [hit_dict(hit) for hit in hits]})

    @router.get("/documents", response_model=schemas.DocumentsPage, summary="Danh sách tài liệu")
    async def documents(
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Response:
        listed = service.engine.documents
        page = listed[offset : offset + limit]
        return JSONBody(
            {
                "total": len(listed),
                "offset": offset,
                "limit": limit,
                "documents": [{"doc_id": d.doc_id, "title": d.title, "date": d.date} for d in page],
            }
        )

    @router.get(
        "/documents/{doc_id:path}", response_model=schemas.DocumentOut, summary="Một tài liệu"
    )
    async def document(doc_id: Annotated[str, Path(description="doc_id của tài liệu")]) -> Response:
        """Thông tin và văn bản của tài liệu, để kiểm tra trích dẫn: `text[start:end]`."""
        found = service.document(doc_id)
        try:
            text = await service.run(service.engine.document_text, found.doc_id)
        except KeyError:
            raise Problem(404, "Không có tài liệu này.") from None
        except (OSError, ValueError, Unreadable):
            # Not stored with the index, and its file changed or vanished since.
            raise Problem(410, "Tệp của tài liệu này không còn đọc được.") from None
        return JSONBody(
            {
                "doc_id": found.doc_id,
                "title": found.title,
                "date": found.date,
                "source": str(found.path),
                "format": found.format,
                "pages": list(found.pages),
                "text": text,
            }
        )

    return router


def exposition(registry: CollectorRegistry) -> bytes:
    """The metrics in Prometheus's text format: with several workers (prometheus-client's
    multiprocess mode, PROMETHEUS_MULTIPROC_DIR), every worker's, summed, whichever
    worker the scrape reaches."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    return generate_latest(registry)


def create_app(
    engine: Engine,
    settings: ApiSettings,
    metrics: Metrics | None = None,
    limiter: SharedLimiter | None = None,
) -> FastAPI:
    """The application over a loaded `engine`; `settings.api_keys` decide who may ask.
    Worker processes pass the `limiter` their parent made, so limits hold across them."""
    metrics = metrics or Metrics()
    service = Service(engine, settings, metrics)
    keys = [key.get_secret_value() for key in settings.api_keys]
    limiter = limiter or SharedLimiter(
        settings.api_requests_per_window, settings.api_window_seconds
    )
    gate = Gate(keys, limiter)
    app = FastAPI(
        title="hoidap",
        description=API_DESCRIPTION,
        version="1",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.service = service
    install_problem_handlers(app)
    app.include_router(_v1(service, gate))

    @app.get("/health", response_model=schemas.HealthOut, tags=["monitoring"])
    async def health() -> Response:
        documents = len(service.engine.documents)
        return JSONBody({"status": "ok", "index_loaded": True, "documents": documents})

    @app.get(
        "/metrics",
        tags=["monitoring"],
        dependencies=[Depends(gate.dependency(limited=False))] if keys else [],
        response_class=Response,
    )
    async def prometheus() -> Response:
        """Prometheus: hoidap_questions_total, hoidap_answered_total, …"""
        return Response(exposition(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return FileResponse(str(STATIC / "index.html"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    if settings.api_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(
        Guard,
        max_body_bytes=settings.api_max_body_bytes,
        metrics=RequestMetrics(metrics.registry),
    )
    return app
