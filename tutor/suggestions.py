"""Suggested questions for each topic, made from the content at index time and checked.

Candidates come from the local model (a few questions per central passage of a topic, in
batch, cached per chunk so an interrupted or repeated build resumes where it stopped) or,
without a model, from the content's own questions and headings and its definitional
sentences ("A helper is ..." -> "What is a helper?"). A candidate is kept only when the agent,
run with the extractive backend against the new generation before it goes live, answers it
from one of the topic's own documents: the page never suggests a question the index can't answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from itertools import zip_longest
from pathlib import Path

from tutor.agent.prompts import prompt
from tutor.chunking import Chunk
from tutor.corpus import Document
from tutor.text import as_written
from tutor.topics import Topic, TopicMap

PER_TOPIC = 4
PER_DOCUMENT = 2  # spread a topic's suggestions over its documents
CENTRAL_CHUNKS = 2  # passages per topic the model writes questions about
MAX_HEADING_WORDS = 8
DEFINITION = re.compile(r"^((?:An?|The)\s+)?([A-Za-z][\w'’-]*(?:\s+[\w'’-]+){0,4}?)\s+(?:is|are)\s+(?:an?|the)\s+\w")
QUESTION_LINE = re.compile(r"^\s*(?:[-*•]|\d+[.)])?\s*(.{12,160}\?)\s*$")
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
POINTS_BACK = re.compile(
    r"\b(?:this|these|it|its|they|the (?:passage|text|article|document|author|course|programme|program|event))\b(?![-\w])",
    re.IGNORECASE,
)
CACHE_FILE = "suggestion-cache.json"
Progress = Callable[[str, int, int], None]
Checker = Callable[[str], set[str]]  # question -> ids of the documents its answer cites


# ---------------------------------------------------------------- candidates without a model


def heading_questions(document: Document, sections: Iterable[str]) -> list[str]:
    """The document's own questions (titles and headings that ask one), then its other headings."""
    asked, topical = [], []
    for heading in [document.title, *sections]:
        last = MARKDOWN_LINK.sub(r"\1", heading.split(" › ")[-1]).strip().rstrip(":")
        if last.endswith("?"):
            asked.append(last)
        elif 1 < len(last.split()) <= MAX_HEADING_WORDS:
            topical.append(prompt("about_title").format(title=last))
    return asked + topical


def definition_questions(text: str) -> list[str]:
    """"A helper is a ..." -> "What is a helper?": sentences that define a short subject."""
    questions = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        match = DEFINITION.match(sentence.strip())
        if match:
            article, subject = (match.group(1) or "").strip().lower(), match.group(2)
            verb = "are" if re.search(r"\s+are\s+", sentence[: match.end()]) else "is"
            questions.append(f"What {verb} {article + ' ' if article else ''}{as_written(subject, text)}?")
    return questions


def content_candidates(topic: Topic, documents: dict[str, Document], sections: dict[str, list[str]]) -> list[str]:
    """No-model candidates for a topic, taking turns between its documents, newest first (a
    fresh article surfaces at once), each document's own questions before its headings."""
    newest_first = sorted(topic.documents, key=lambda doc_id: documents[doc_id].date or "", reverse=True)
    per_document = [
        heading_questions(documents[doc_id], sections.get(doc_id, [])) + definition_questions(documents[doc_id].text)
        for doc_id in newest_first
    ]
    taking_turns = [q for round_ in zip_longest(*per_document) for q in round_ if q is not None]
    return list(dict.fromkeys(taking_turns))


# ---------------------------------------------------------------- candidates from the model


def parse_questions(reply: str) -> list[str]:
    """The question lines of a model's reply that make sense on their own: a small model often
    writes "What is the purpose of the course?", which names no course."""
    found = [m.group(1).strip() for line in reply.splitlines() if (m := QUESTION_LINE.match(line))]
    return [q for q in found if not POINTS_BACK.search(q)]


class ModelQuestions:
    """Questions the chat model writes about a passage, cached per chunk id on disk so a build
    that stops half-way resumes, and a re-index only asks about new or changed passages."""

    PROMPT = (
        "Write three short questions a student could ask that the passage below answers. "
        "Each question must make sense on its own: name the subject, never write 'the passage', "
        "'it' or 'this'. One question per line, nothing else.\n\n{title}\n{text}"
    )

    def __init__(self, chat_model, cache_path: Path) -> None:
        self.chat_model = chat_model
        self.cache_path = cache_path
        self.cache: dict[str, list[str]] = self._read()

    def _read(self) -> dict[str, list[str]]:
        try:
            return json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def __call__(self, chunk: Chunk) -> list[str]:
        if chunk.chunk_id not in self.cache:
            from langchain_core.messages import HumanMessage

            reply = self.chat_model.invoke([HumanMessage(self.PROMPT.format(title=chunk.title, text=chunk.text))])
            self.cache[chunk.chunk_id] = parse_questions(str(reply.content))
            tmp = self.cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.cache, indent=1), encoding="utf-8")
            tmp.replace(self.cache_path)
        return self.cache[chunk.chunk_id]


def central_chunks(topic: Topic, chunks: list[Chunk], vectors, limit: int) -> list[Chunk]:
    """The topic's passages closest to its centre of meaning: what it is mostly about."""

    members = [i for i, c in enumerate(chunks) if c.doc_id in set(topic.documents)]
    if not members:
        return []
    centre = vectors[members].mean(axis=0)
    order = sorted(members, key=lambda i: -float(vectors[i] @ centre))
    picked, docs = [], set()
    for i in order:  # one passage per document first
        if chunks[i].doc_id not in docs:
            picked.append(chunks[i])
            docs.add(chunks[i].doc_id)
    return (picked + [chunks[i] for i in order if chunks[i] not in picked])[:limit]


# ---------------------------------------------------------------- keeping what is answered


def keep_answered(topic: Topic, candidates: Iterable[str], check: Checker) -> tuple[str, ...]:
    """Up to PER_TOPIC candidates the agent answers from this topic's documents, at most
    PER_DOCUMENT per document."""
    kept: list[str] = []
    per_doc: dict[str, int] = {}
    for question in candidates:
        if len(kept) == PER_TOPIC:
            break
        cited = check(question) & set(topic.documents)
        if not cited:
            continue
        doc = sorted(cited)[0]
        if per_doc.get(doc, 0) >= PER_DOCUMENT:
            continue
        per_doc[doc] = per_doc.get(doc, 0) + 1
        kept.append(question)
    return tuple(kept)


def add_suggestions(
    topic_map: TopicMap,
    documents: list[Document],
    chunks: list[Chunk],
    vectors,
    check: Checker,
    model_questions: ModelQuestions | None = None,
    progress: Progress | None = None,
) -> TopicMap:
    """The topic map with checked suggestions for every topic (see the module docstring)."""
    by_id = {d.id: d for d in documents}
    sections: dict[str, list[str]] = {}
    for chunk in chunks:
        if chunk.section and chunk.section not in sections.setdefault(chunk.doc_id, []):
            sections[chunk.doc_id].append(chunk.section)
    topics = []
    for done, topic in enumerate(topic_map.topics, start=1):
        written: list[str] = []
        if model_questions is not None:
            for chunk in central_chunks(topic, chunks, vectors, CENTRAL_CHUNKS):
                written += model_questions(chunk)
        own = content_candidates(topic, by_id, sections)
        candidates = [q for pair in zip_longest(written, own) for q in pair if q is not None]  # taking turns
        topics.append(replace(topic, suggestions=keep_answered(topic, dict.fromkeys(candidates), check)))
        if progress:
            progress("suggestions", done, len(topic_map.topics))
    return replace(topic_map, topics=tuple(topics))


def agent_checker(settings, generation: str) -> Checker:
    """Run a question through the real agent (extractive backend) against `generation`, which
    need not be live yet; returns the documents its answer cites (none when it declines)."""
    from tutor.agent.graph import build_graph
    from tutor.agent.state import TutorContext
    from tutor.llm import make_chat_model
    from tutor.profile import load_profile
    from tutor.retrieval import HybridRetriever
    from tutor.topics import DEFAULT_LEVEL

    extractive = make_chat_model(settings, "extractive")
    context = TutorContext(
        settings=settings,
        retriever=HybridRetriever(settings, generation),
        chat_model=extractive,
        fallback_model=extractive,
        llm_name="extractive",
        profile=load_profile(settings.corpus_dir),
    )

    def check(question: str) -> set[str]:
        state = build_graph().invoke({"question": question, "previous_questions": [], "level": DEFAULT_LEVEL}, context=context)
        if state.get("route") != "answer":
            return set()
        hits = state.get("source_hits", [])
        return {hits[n - 1].chunk.doc_id for n in state.get("cited", []) if 0 < n <= len(hits)}

    return check
