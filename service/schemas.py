"""The API's bodies as pydantic models: they document the OpenAPI schema and check the
request. Responses are the command line's own dictionaries (`Answer.to_dict()`, the
search hit of `hoidap search --json`), written as they are; the models only describe them.
"""

from pydantic import BaseModel, ConfigDict, Field


class AskRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "Ai chủ trì cuộc họp?"}]}
    )
    question: str = Field(description="Câu hỏi tiếng Việt, có hoặc không dấu")


class CitationOut(BaseModel):
    text: str = Field(description="Câu trích nguyên văn: `source`[start:end] == text")
    doc_id: str
    title: str
    date: str | None = Field(description="yyyy-mm-dd khi tài liệu ghi ngày")
    source: str = Field(description="Đường dẫn tuyệt đối của tệp tài liệu trên máy chủ")
    format: str = Field(description="txt, md, pdf, docx, doc, rtf, html")
    page: int | None = Field(None, description="Trang (chỉ có với tài liệu chia trang, như PDF)")
    start: int = Field(description="Vị trí ký tự đầu (tính theo điểm mã Unicode)")
    end: int
    score: float
    sentence_id: int
    context: str | None = Field(description="Câu đứng trước, khi câu trích dựa vào nó")


class AnswerOut(BaseModel):
    """The object `hoidap ask --json` prints."""

    question: str
    answered: bool
    sentences: list[CitationOut]
    hint: str | None = Field(description="Gợi ý khi không tìm thấy câu trả lời")
    reply: str | None = Field(description="Lời đáp khi câu gửi là lời chào, cảm ơn…")


class HitOut(BaseModel):
    rank: int
    score: float
    doc_id: str
    title: str
    date: str | None
    source: str
    format: str
    page: int | None = None
    passage_id: int
    start: int
    end: int
    text: str


class SearchOut(BaseModel):
    """The object `hoidap search --json` prints."""

    query: str
    hits: list[HitOut]


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    date: str | None


class DocumentsPage(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentSummary]


class DocumentOut(DocumentSummary):
    source: str
    format: str
    pages: list[int] = Field(
        description="Vị trí ký tự đầu mỗi trang (PDF); rỗng nếu không chia trang"
    )
    text: str = Field(description="Văn bản trích từ tài liệu; các vị trí trích dẫn trỏ vào đây")


class HealthOut(BaseModel):
    status: str
    index_loaded: bool
    documents: int
