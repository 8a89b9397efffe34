"""Turning service results into chat messages and Markdown, with every user or model text
HTML-escaped (the chatbot also sanitises), so a `<script>` question is shown, never run."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from tutor.screening import inert_links
from tutor.service.events import Citation

SOURCES_TITLE = "Sources"
SHOWN_QUESTION_CHARS = 600  # a longer question is shortened in the chat (it is answered calmly anyway)
PREVIEW_CHARS = 160  # the opening of a source shown when hovering its [n]
CODE = re.compile(r"(```.*?```|`[^`\n]+`)", re.S)
MARKER = re.compile(r"\[(\d{1,2})\]")


def safe_markdown(text: str) -> str:
    """Markdown with any HTML neutralised (shown as text); code spans are left as they are."""
    parts = CODE.split(text or "")
    return "".join(part if i % 2 else html.escape(part, quote=False) for i, part in enumerate(parts))


def plain_text(text: str) -> str:
    """A user's own words: HTML and Markdown markup shown literally."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]#|~])", r"\\\1", escaped)


def user_message(question: str) -> dict:
    shown = question if len(question) <= SHOWN_QUESTION_CHARS else question[:SHOWN_QUESTION_CHARS] + " …"
    return {"role": "user", "content": plain_text(shown)}


def source_label(c: Citation) -> str:
    """"Title (date)": which document a citation is from and when it was published."""
    return f"{c.title} ({c.date})" if c.date else c.title


def preview(c: Citation, domains: Iterable[str] = ()) -> str:
    """The hover text of a citation marker: its document, date and opening words (links outside
    the institute's `domains` as text, like in the Sources panel)."""
    opening = " ".join(c.text.split())
    opening = opening if len(opening) <= PREVIEW_CHARS else opening[:PREVIEW_CHARS].rsplit(" ", 1)[0] + "…"
    return inert_links(f"[{c.n}] {source_label(c)}: {opening}", domains)


def with_citation_links(markdown: str, citations: list[Citation], domains: Iterable[str] = ()) -> str:
    """Each [n] of the answer becomes a link whose hover previews its source."""
    by_n = {c.n: c for c in citations}

    def link(match: re.Match) -> str:
        cited = by_n.get(int(match.group(1)))
        if cited is None:
            return match.group(0)
        title = html.escape(preview(cited, domains)).replace('"', "&quot;").replace("\\", "\\\\")
        return f'[\\[{cited.n}\\]](#source-{cited.n} "{title}")'

    return MARKER.sub(link, markdown)


def sources_text(citations: list[Citation], domains: Iterable[str] = ()) -> str:
    """The quoted passages. Content is data: a link or address in a source is shown as text
    unless it points to the institute's own `domains`, so a planted link cannot be clicked."""
    blocks = []
    for c in citations:
        heading = f"**[{c.n}] {safe_markdown(c.title)}**"
        if c.date:
            heading += f" · {safe_markdown(c.date)}"
        if c.section:
            heading += f" › {safe_markdown(c.section)}"
        passage = "\n".join(f"> {line}" if line.strip() else ">" for line in safe_markdown(c.text).strip().splitlines())
        blocks.append(f"{heading}\n\n{passage}")
    return inert_links("\n\n".join(blocks), domains)


def answer_messages(
    answer: str, citations: list[Citation], empty: str, notice: str | None = None, domains: Iterable[str] = ()
) -> list[dict]:
    """The assistant's messages for one answer: the text (citations linked), then collapsible
    sources (links outside the institute's `domains` shown as text)."""
    body = with_citation_links(safe_markdown(answer).strip(), citations, domains) or empty
    if notice:
        body = f"> ⚠️ {safe_markdown(notice)}\n\n{body}"
    messages = [{"role": "assistant", "content": body}]
    if citations:
        plural = "s" if len(citations) != 1 else ""
        messages.append(
            {
                "role": "assistant",
                "content": sources_text(citations, domains),
                "metadata": {"title": SOURCES_TITLE, "status": "done", "log": f"{len(citations)} passage{plural}"},
            }
        )
    return messages


def without_suggestions(answer: str, suggestions: list[str]) -> str:
    """A declined answer's text without its bulleted suggestions (the page shows them as buttons)."""
    listed = {f"- {s}" for s in suggestions}
    return "\n".join(line for line in answer.splitlines() if line.strip() not in listed).strip()


def topics_markdown(topics: list[tuple[str, int]]) -> str:
    if not topics:
        return "_Nothing yet: the topics of your questions will show up here._"
    return "\n".join(f"- **{html.escape(label)}** · {n} question{'s' if n != 1 else ''}" for label, n in topics)


def hint_markdown(hint: str | None) -> str:
    return f"💡 {html.escape(hint)}" if hint else ""
