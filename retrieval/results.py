"""What the retriever hands back: ranked passages and cited answers."""

from dataclasses import dataclass, field
from typing import Any

from retrieval.documents import Document


@dataclass(frozen=True)
class PassageHit:
    """A passage (consecutive sentences of one document) ranked for a query.
    `start`/`end` are character offsets of the whole passage in the document file."""

    rank: int
    score: float
    document: Document
    passage_id: int
    text: str
    start: int
    end: int

    @property
    def page(self) -> int | None:
        """The page the passage starts on, for PDFs."""
        return self.document.page_of(self.start)

    def holds(self, citation: "Citation") -> bool:
        """Whether `citation` quotes a sentence of this passage."""
        return (
            self.document.path == citation.document.path
            and self.start <= citation.start < citation.end <= self.end
            and citation.text in self.text
        )


@dataclass(frozen=True)
class Citation:
    """One answer sentence quoted verbatim: `document.path` text[start:end] == text.
    `context` holds the preceding sentence when the quoted one leans on it (a pronoun,
    "Hội nghị" without its name); it is shown as context, never as the answer."""

    sentence_id: int
    text: str
    document: Document
    start: int
    end: int
    score: float
    context: str | None = None

    @property
    def page(self) -> int | None:
        """The page the sentence starts on, for PDFs."""
        return self.document.page_of(self.start)

    def to_dict(self) -> dict[str, Any]:
        paged = {"page": self.page} if self.document.pages else {}
        return {
            "text": self.text,
            "doc_id": self.document.doc_id,
            "title": self.document.title,
            "date": self.document.date,
            "source": str(self.document.path),
            "format": self.document.format,
            **paged,
            "start": self.start,
            "end": self.end,
            "score": self.score,
            "sentence_id": self.sentence_id,
            "context": self.context,
        }


@dataclass(frozen=True)
class Answer:
    """Best sentences first; `answered` is False (and `sentences` empty) when the documents
    do not support an answer, with `hint` saying why in Vietnamese. `reply` is set when the
    message was chit-chat ("Cảm ơn nhé", "xin chào"): a short conversational reply for a
    conversation (the bot, `hoidap chat`) to show instead of the abstention."""

    question: str
    answered: bool
    sentences: list[Citation] = field(default_factory=list)
    hint: str | None = None
    reply: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answered": self.answered,
            "sentences": [c.to_dict() for c in self.sentences],
            "hint": self.hint,
            "reply": self.reply,
        }
