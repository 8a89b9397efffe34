"""The extractive chat model: no LLM, it quotes the passages' sentences that answer best.

Deterministic and quick, so it is the fallback when the LLM fails, is unreachable, or writes
a draft its sources don't back; and a backend of its own (`--llm extractive`). It reads the
same prompt as the LLM (`<sources>[n] Title › Section …</sources> Question: …`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from tutor.agent.policy import is_follow_up
from tutor.text import CLOSING_QUOTES, passage_units, stems

NOT_FOUND = "I couldn't find this in the institute's content."

_SOURCES_RE = re.compile(r"<sources>(.*?)</sources>", re.DOTALL)
_HEADER_RE = re.compile(r"^\[(\d+)\]([^\n]*)\n?", re.MULTILINE)
_EARLIER_RE = re.compile(r"Earlier question, for context only: (.*?)\)\s*$", re.MULTILINE)  # prompts/earlier.txt
_CHUNK_WORDS = 6
_MIN_SENTENCE_WORDS = 4  # shorter prose is a fragment; a list item under its lead-in may be short
_SAME_WORDS = 0.8  # Jaccard of content words above which two sentences say the same thing
_MAX_STATEMENTS, _MAX_SOURCES = 3, 2


class Statement(NamedTuple):
    """A quotable unit of a passage: a sentence, or a list item under the line that leads to it."""

    n: int  # the source number it is cited by
    position: int  # order within the prompt, to quote in reading order
    text: str
    lead_in: str  # "Course content includes:" above a list item ("" for prose)


def parse_sources(text: str) -> tuple[list[tuple[int, str, str]], str]:
    """Split the agent's prompt into numbered sources, each as (n, header, passage), and the question.

    Expects ``<sources>[n] Title › Section\\npassage...</sources>\\nQuestion: ...``; the header
    line of each source ("Title › Section") is not part of its passage.
    """
    block = _SOURCES_RE.search(text)
    rest = text[block.end() :] if block else text
    _, marker, after = rest.rpartition("Question:")
    question = (after if marker else rest).strip()
    if not block:
        return [], question
    body = block.group(1)
    headers = list(_HEADER_RE.finditer(body))
    sources = []
    for header, following in zip(headers, [*headers[1:], None]):
        end = following.start() if following else len(body)
        sources.append((int(header.group(1)), header.group(2).strip(), body[header.end() : end].strip()))
    return sources, question


def asked_and_earlier(question: str) -> tuple[str, str]:
    """The question as asked and a follow-up's earlier question, without the notes the agent
    adds in parentheses (their words, "sources", "state", would match any passage)."""
    earlier = _EARLIER_RE.search(question)
    return question.split("\n(")[0].strip(), earlier.group(1).strip() if earlier else ""


def statements(n: int, passage: str, start: int = 0) -> list[Statement]:
    """What a passage states: no headings, no questions, no fragments, and no lead-in line on
    its own ("Course content includes:" says nothing); a list item carries its lead-in."""
    found, lead_in = [], ""
    for unit in passage_units(passage):
        text = unit.text.strip()
        if unit.kind == "heading" or text.rstrip(CLOSING_QUOTES).endswith("?"):
            continue
        if unit.kind != "item":
            lead_in = text if text.endswith(":") else ""
            if lead_in or len(text.split()) < _MIN_SENTENCE_WORDS:
                continue
        elif not lead_in and len(text.split()) < _MIN_SENTENCE_WORDS:
            continue
        found.append(Statement(n, start + len(found), text, lead_in if unit.kind == "item" else ""))
    return found


def _repeats(statement: Statement, chosen: list[Statement]) -> bool:
    """The statement says what a chosen one already says (pages often quote each other)."""
    words = stems(statement.text)
    return any(len(words & stems(c.text)) >= _SAME_WORDS * len(words | stems(c.text)) for c in chosen)


def ranked_statements(
    passages: list[tuple[int, str]], question: str, earlier: str = "", headings: dict[int, str] | None = None
) -> list[tuple[int, Statement]]:
    """Statements sharing a word with the question or its earlier one, best first: by how many
    of the question's content words they hold (a list item with its lead-in's), then of the
    earlier question's, then in prompt order, the order of relevance the agent chose. Unless
    the question visibly refers back ("who's it aimed at?"), the earlier question only breaks
    ties: "Who is Obiora Awogu?" after one about machine learning engineers is not answered
    with what they do. (Closeness in meaning by the embedding model was tried as the first
    tie-break and lost: it prefers sentences that restate the subject, "The MSc is a master's
    degree from …", to those that answer.) A statement is read under its passage's heading
    (`headings`), as a list item under its lead-in: "Tuition … costs as little as €2,250 per
    term", under "MSc in Applied Data Science & AI (OPIT) › Cost", answers "How much does OPIT's
    MSc in Applied Data Science & AI cost?" better than the programme's overview, which shares
    more words with the question on its own."""
    wanted, context = stems(question), stems(earlier) - stems(question)
    if is_follow_up(question):
        wanted, context = wanted | context, set()
    pool: list[Statement] = []
    for n, passage in passages:
        pool += statements(n, passage, start=len(pool))
    headings = headings or {}
    scored = [(len(wanted & words), len(context & words), s) for s in pool for words in [stems(f"{headings.get(s.n, '')} {s.lead_in} {s.text}")]]
    kept = sorted((item for item in scored if item[0] or item[1]), key=lambda item: (-item[0], -item[1], item[2].position))
    return [(own, s) for own, _, s in kept]


def extractive_answer(text: str) -> str:
    """Answer with the statements that best match the question: up to three holding at least
    half as many of its words as the best, from at most two sources, in reading order; list
    items under their lead-in."""
    sources, question = parse_sources(text)
    passages, headings = [(n, passage) for n, _, passage in sources], {n: heading for n, heading, _ in sources}
    ranked = ranked_statements(passages, *asked_and_earlier(question), headings)
    if not ranked:
        return NOT_FOUND
    best, chosen = ranked[0][0], []
    for overlap, statement in ranked:
        if 2 * overlap < best or len(chosen) == _MAX_STATEMENTS:
            break
        sources = {c.n for c in chosen}
        if not _repeats(statement, chosen) and (statement.n in sources or len(sources) < _MAX_SOURCES):
            chosen.append(statement)
    return " ".join(quoted(group) for group in grouped(sorted(chosen, key=lambda s: s.position)))


def grouped(chosen: list[Statement]) -> list[list[Statement]]:
    """Items of one list under one lead-in quote together; anything else alone."""
    groups: list[list[Statement]] = []
    for statement in chosen:
        last = groups[-1][-1] if groups else None
        if last and statement.lead_in and (last.n, last.lead_in) == (statement.n, statement.lead_in):
            groups[-1].append(statement)
        else:
            groups.append([statement])
    return groups


def quoted(group: list[Statement]) -> str:
    """"Course content includes: Legal aspects and compliance; Cryptography. [1]"."""
    first = group[0]
    if not first.lead_in:
        return f"{_terminated(first.text)} [{first.n}]"
    items = "; ".join(s.text.rstrip(".;") for s in group)
    return f"{first.lead_in} {items}. [{first.n}]"


def _terminated(sentence: str) -> str:
    return sentence if sentence.rstrip(CLOSING_QUOTES)[-1:] in (".", "!", "?") else sentence + "."


def _last_human_text(messages: list[BaseMessage]) -> str:
    return next((m.text for m in reversed(messages) if m.type == "human"), "")


class ExtractiveChat(BaseChatModel):
    """No LLM: quotes the best-matching source sentences with citations."""

    @property
    def _llm_type(self) -> str:
        return "extractive"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        answer = extractive_answer(_last_human_text(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        words = re.findall(r"\S+\s*", extractive_answer(_last_human_text(messages)))
        for start in range(0, len(words), _CHUNK_WORDS):
            text = "".join(words[start : start + _CHUNK_WORDS])
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
