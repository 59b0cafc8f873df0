"""Errors as RFC 9457 problem details (`application/problem+json`), never a traceback.

The `detail` is Vietnamese for the people reading it on the page; it never repeats the
question or a key, so a problem can be logged or shown anywhere.
"""

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from service.responses import json_bytes

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raised anywhere in a request to answer with a problem document."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    return Response(json_bytes(body), status, headers=headers, media_type=PROBLEM_JSON)


# What a validation error says, by pydantic's error type; the field name is added.
_VALIDATION_DETAILS = {
    "json_invalid": "Nội dung gửi lên không phải JSON hợp lệ.",
    "missing": "Thiếu trường bắt buộc",
    "string_type": "Trường phải là một chuỗi",
    "int_parsing": "Trường phải là một số nguyên",
    "int_type": "Trường phải là một số nguyên",
    "model_attributes_type": "Nội dung phải là một đối tượng JSON.",
    "dict_type": "Nội dung phải là một đối tượng JSON.",
    "greater_than_equal": "Giá trị quá nhỏ ở trường",
    "less_than_equal": "Giá trị quá lớn ở trường",
    "extra_forbidden": "Trường không được hỗ trợ",
}


def _validation_detail(error: RequestValidationError) -> str:
    """One line naming the first wrong field; the rejected value is never echoed."""
    first = error.errors()[0] if error.errors() else {}
    kind = str(first.get("type", ""))
    fields = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    text = _VALIDATION_DETAILS.get(kind, "Yêu cầu không hợp lệ ở trường")
    if text.endswith(".") or not fields:
        return text if text.endswith(".") else text + "."
    return f"{text} “{'.'.join(fields)}”."


def install_problem_handlers(app: FastAPI) -> None:
    """Every error the app can meet, as a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        kind = exc.errors()[0].get("type") if exc.errors() else None
        status = 400 if kind == "json_invalid" else 422
        return problem_response(status, _validation_detail(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        details = {
            404: "Không có trang hoặc tài liệu này.",
            405: "Phương thức HTTP này không được hỗ trợ ở đây.",
        }
        detail = details.get(exc.status_code, HTTPStatus(exc.status_code).phrase + ".")
        return problem_response(exc.status_code, detail, dict(exc.headers or {}))
