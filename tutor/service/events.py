"""What the service hands to both faces: typed answer events and the answer itself.

A question produces a stream of `Token` (a piece of the answer being written), `Reset` (the
draft so far was discarded; the tokens after the last reset are the final answer's text) and
finally exactly one `Final` (the complete `TutorAnswer`). Faces match on the type instead of unpacking tuples.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the retriever is heavy: only the answering service imports it
    from tutor.retrieval import SearchHit

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls
CONTRACT_CITATION_KEYS = ("n", "chunk_id", "doc_id", "title", "section", "text")


def clean_question(raw: str | None) -> str:
    """Control characters out, whitespace folded: the only cleaning a question gets."""
    return " ".join(CONTROL_CHARS.sub(" ", raw or "").split())


@dataclass
class Citation:
    """A numbered source of an answer: always a real chunk of the live index."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    date: str = ""  # the document's publication date, when the corpus has one

    def to_dict(self) -> dict:
        """The `tutor ask --json` citation object (exactly the documented keys)."""
        data = asdict(self)
        return {key: data[key] for key in CONTRACT_CITATION_KEYS}

    @classmethod
    def from_record(cls, data: dict) -> Citation:
        """A citation as stored with a turn (older turns have no date)."""
        return cls(**{key: data.get(key, "") for key in (*CONTRACT_CITATION_KEYS, "date")})


@dataclass
class TutorAnswer:
    """Everything one question produced; `to_dict` is the `tutor ask --json` contract."""

    question: str
    answer: str
    route: str
    citations: list[Citation]
    topics: list[str]
    learner: str | None
    llm: str
    timings: dict[str, float]
    suggestions: list[str] = field(default_factory=list)
    hint: str | None = None
    notice: str | None = None
    turn_id: int | None = None
    conversation: str | None = None
    follow_up_context: bool = True  # False when the question was not answered as a question (too long)
    retrieved: list[SearchHit] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # the passages the model was shown, under their headings

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "route": self.route,
            "citations": [c.to_dict() for c in self.citations],
            "topics": self.topics,
            "learner": self.learner,
            "llm": self.llm,
            "timings": self.timings,
            "suggestions": self.suggestions,
            "hint": self.hint,
            "notice": self.notice,
            "turn_id": self.turn_id,
        }

    @classmethod
    def from_dict(cls, data: dict) -> TutorAnswer:
        """The answer back from its `to_dict` (as a running app sends it to the CLI)."""
        fields = {key: data.get(key) for key in ("question", "answer", "route", "topics", "learner", "llm", "timings")}
        extras = {key: data.get(key) for key in ("hint", "notice", "turn_id")}
        citations = [Citation.from_record(c) for c in data.get("citations", [])]
        return cls(**fields, citations=citations, suggestions=data.get("suggestions", []), **extras)


@dataclass(frozen=True)
class Token:
    """A piece of the answer as the model writes it."""

    text: str


@dataclass(frozen=True)
class Reset:
    """The draft streamed so far was rejected: what follows replaces it (a new draft, or the
    final answer when the checks changed or declined the draft)."""


@dataclass(frozen=True)
class Final:
    """The complete answer; always the last event of a stream."""

    answer: TutorAnswer


AnswerEvent = Token | Reset | Final
