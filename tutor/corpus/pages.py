"""The scraped-page importer: pages -> one clean Markdown file per unique article.

A scraped page holds a main article, then "Related posts" (other articles, often repeated
across pages, sometimes with their titles and dates stripped), plus navigation and contact
boilerplate. Import rebuilds the article set from *all* pages in `corpus/pages/` every time,
so the result does not depend on the order pages arrived in, and re-importing is a no-op.
This is one importer among several (see `importers.py`); it knows a common blog-page shape,
not any one institute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from tutor.corpus.documents import (
    CorpusError,
    ImportReport,
    Problem,
    parse_front_matter,
    read_text_file,
    slugify,
)
from tutor.corpus.holding import (
    RELEASED,
    hold,
    reasons_to_hold,
    was_released,
    with_front_matter,
)

BOILERPLATE_LINES = {  # generic navigation of blog pages
    "skip to content",
    "read the article",
    "read the full article below:",
    "back to top",
}
FOOTER_START = "have questions?"
RELATED_MARKER = "related posts"
DATE_LINE = re.compile(r"^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})(?: (\d+) min read)?$")
BULLET = re.compile(r"^\s*(?:[•\-*]|\d+\.)\s+")
AUTHOR_LINE = re.compile(r"^By ([A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3})$")
MIN_KEY_CHARS = 60  # paragraphs shorter than this are too generic to identify an article


@dataclass
class Segment:
    """A stretch of a page that is (part of) one article."""

    lines: list[str]
    origin: str
    title: str | None = None
    date: str | None = None
    reading_minutes: int | None = None
    orphan: bool = False  # untitled related post: only its unseen paragraphs count

    @property
    def keys(self) -> set[str]:
        return {k for k in map(paragraph_key, self.lines) if len(k) >= MIN_KEY_CHARS}


# ---------------------------------------------------------------- page -> segments


def paragraph_key(line: str) -> str:
    """Normalise a paragraph so copies that differ in bullets, case or spacing compare equal."""
    return " ".join(re.sub(r"[^\w]+", " ", BULLET.sub("", line).lower()).split())


def is_heading(line: str) -> bool:
    """Scraped pages lose their markup; a heading is a short line that is not a sentence."""
    text = line.strip()
    if not text or BULLET.match(line) or AUTHOR_LINE.match(text) or DATE_LINE.match(text):
        return False
    if len(text) > 100 or len(text.split()) > 14 or not (text[0].isupper() or text[0].isdigit()):
        return False
    if text[-1] in ".,;:”\"’!" or ". " in text:
        return False
    return True


def clean_lines(raw: str) -> list[str]:
    """Drop navigation, bylines of the site, banners and the contact footer."""
    lines: list[str] = []
    for line in raw.replace("\xa0", " ").replace("\r\n", "\n").split("\n"):
        text = line.rstrip()
        low = text.strip().lower()
        if low == FOOTER_START:
            break
        if low in BOILERPLATE_LINES:
            continue
        lines.append(text)
    lines = drop_repeated_lines(lines)
    while lines and (not lines[-1].strip() or is_banner(lines[-1])):
        lines.pop()
    while lines and (not lines[0].strip() or lines[0].strip().islower()):
        lines.pop(0)  # leading blank lines and a lower-case category label
    return lines


def drop_repeated_lines(lines: list[str]) -> list[str]:
    """A short line printed twice in a row is a logo's alt text or a site banner, not content."""
    kept: list[str] = []
    for i, line in enumerate(lines):
        text = line.strip()
        nxt = next((other.strip() for other in lines[i + 1 :] if other.strip()), None)
        prev = next((other.strip() for other in reversed(lines[:i]) if other.strip()), None)
        if text and len(text) <= 100 and text in (nxt, prev):
            continue
        kept.append(line)
    return kept


def is_banner(line: str) -> bool:
    """An all-capitals call-to-action line at the end of a page."""
    text = line.strip()
    return len(text) > 3 and text.upper() == text and any(c.isalpha() for c in text)


def split_page(raw: str, origin: str) -> list[Segment]:
    """Split a page into its main article and its related posts."""
    lines = clean_lines(raw)
    lowered = [line.strip().lower() for line in lines]
    cut = lowered.index(RELATED_MARKER) if RELATED_MARKER in lowered else len(lines)
    segments = [main_segment(lines[:cut], origin)]
    segments += related_segments(lines[cut + 1 :], origin)
    return [s for s in segments if any(line.strip() for line in s.lines)]


def main_segment(lines: list[str], origin: str) -> Segment:
    """The page's own article; its title is its first line when that reads as a heading."""
    body = list(lines)
    first = next((i for i, line in enumerate(body) if line.strip()), None)
    title = None
    if first is not None and is_heading(body[first]):
        title = body.pop(first).strip()
    return Segment(lines=body, origin=origin, title=title)


def related_segments(lines: list[str], origin: str) -> list[Segment]:
    """Related posts start with a title line followed by a date line; some pages drop both."""
    segments: list[Segment] = []
    current = Segment(lines=[], origin=origin, orphan=True)
    for line in lines:
        match = DATE_LINE.match(line.strip())
        if match:
            title = pop_last_nonblank(current.lines)
            segments.append(current)
            current = Segment(lines=[], origin=origin, title=title, date=iso_date(match))
            current.reading_minutes = int(match.group(4)) if match.group(4) else None
            continue
        current.lines.append(line)
    segments.append(current)
    return segments


def pop_last_nonblank(lines: list[str]) -> str | None:
    """Remove and return the last non-blank line (the title preceding a date line)."""
    while lines:
        line = lines.pop().strip()
        if line:
            return line
    return None


def iso_date(match: re.Match) -> str:
    """'Nov 18, 2025' -> '2025-11-18'."""
    return datetime.strptime(f"{match.group(1)} {match.group(2)} {match.group(3)}", "%b %d %Y").date().isoformat()


# ---------------------------------------------------------------- segments -> articles


@dataclass
class Article:
    """A unique article assembled from one or more segments."""

    segment: Segment
    origins: set[str]

    @property
    def keys(self) -> set[str]:
        return self.segment.keys


def same_article(a: set[str], b: set[str]) -> bool:
    """Two copies are one article when most of the smaller one's paragraphs are in the other."""
    if not a or not b:
        return False
    return len(a & b) >= 0.6 * min(len(a), len(b))


def merge_segments(segments: list[Segment]) -> list[Article]:
    """De-duplicate segments into articles; orphan segments contribute only unseen paragraphs."""
    articles: list[Article] = []
    for segment in sorted(segments, key=lambda s: s.orphan):
        if segment.orphan:
            for article in articles:
                if article.keys & segment.keys:
                    article.origins.add(segment.origin)
            segment = subtract_known(segment, articles)
            if len(segment.keys) < 2:
                continue
        match = next((a for a in articles if same_article(a.keys, segment.keys)), None)
        if match is None:
            articles.append(Article(segment=segment, origins={segment.origin}))
            continue
        match.origins.add(segment.origin)
        match.segment = fuller(match.segment, segment)
    return articles


def subtract_known(segment: Segment, articles: list[Article]) -> Segment:
    """Drop the paragraphs of an untitled stretch that belong to articles already known."""
    known = {paragraph_key(line) for a in articles for line in a.segment.lines}
    kept = [line for line in segment.lines if not line.strip() or paragraph_key(line) not in known]
    return Segment(lines=kept, origin=segment.origin, orphan=True)


def fuller(a: Segment, b: Segment) -> Segment:
    """Keep the copy with more text, borrowing the other's title and date when it has none."""
    best, other = (a, b) if len(a.keys) >= len(b.keys) else (b, a)
    best.title = best.title or other.title
    best.date = best.date or other.date
    best.reading_minutes = best.reading_minutes or other.reading_minutes
    return best


# ---------------------------------------------------------------- article -> Markdown


def article_title(segment: Segment) -> str:
    """The explicit title, else the first heading, else the first words."""
    if segment.title:
        return segment.title
    heading = next((line.strip() for line in segment.lines if is_heading(line)), None)
    if heading:
        return heading
    words = " ".join(line.strip() for line in segment.lines if line.strip()).split()
    return " ".join(words[:8])


def extract_meta(lines: list[str]) -> dict:
    """Author ('By X') and source ('Source:' then a bullet) stated near the top of an article."""
    meta: dict = {}
    stripped = [line.strip() for line in lines if line.strip()]
    for i, text in enumerate(stripped[:12]):
        author = AUTHOR_LINE.match(text)
        if author and "author" not in meta:
            meta["author"] = author.group(1)
        if text.lower() == "source:" and i + 1 < len(stripped):
            meta["source"] = BULLET.sub("", stripped[i + 1]).strip()
    return meta


def to_markdown(lines: list[str]) -> str:
    """Headings become `##`, bullets `-`, paragraphs are separated by blank lines."""
    blocks: list[str] = []
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if BULLET.match(line):
            numbered = re.match(r"^\s*(\d+)\.\s+", line)
            item = BULLET.sub("", line).strip()
            blocks.append(f"{numbered.group(1)}. {item}" if numbered else f"- {item}")
        elif is_heading(line):
            blocks.append(f"\n## {text}\n")
        else:
            blocks.append(f"\n{text}\n")
    markdown = "\n".join(blocks)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"


def render_article(article: Article, article_id: str, title: str) -> str:
    """The Markdown file for an article: YAML front matter, then the body."""
    segment = article.segment
    front = {"id": article_id, "title": title, "kind": "article"}
    if segment.date:
        front["date"] = segment.date
    front.update(extract_meta(segment.lines))
    if segment.reading_minutes:
        front["reading_minutes"] = segment.reading_minutes
    front["origin_pages"] = sorted(article.origins)
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n# {title}\n\n{to_markdown(segment.lines)}"


# ---------------------------------------------------------------- pages -> article files


def build_articles(pages_dir: Path) -> tuple[dict[str, tuple[Article, str]], list[Problem]]:
    """All unique articles of all pages, keyed by id, with their auto titles."""
    segments: list[Segment] = []
    problems: list[Problem] = []
    for page in sorted(pages_dir.glob("*")):
        if not page.is_file():
            continue
        try:
            segments += split_page(read_text_file(page), page.name)
        except CorpusError as exc:
            problems.append(Problem(page, str(exc)))
    articles: dict[str, tuple[Article, str]] = {}
    for article in merge_segments(segments):
        title = article_title(article.segment)
        article_id = unique_id(slugify(title), articles)
        articles[article_id] = (article, title)
    return articles, problems


def unique_id(base: str, taken: dict) -> str:
    """`base`, or `base-2`, `base-3`... when two articles share a title."""
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def curated_title(path: Path) -> str | None:
    """A title an editor set by hand in an existing article file survives re-import."""
    try:
        return parse_front_matter(read_text_file(path))[0].get("title")
    except (CorpusError, OSError):
        return None


def is_generated(path: Path) -> bool:
    """Made from pages by import (has origin_pages), as opposed to added by hand."""
    try:
        return bool(parse_front_matter(read_text_file(path))[0].get("origin_pages"))
    except (CorpusError, OSError):
        return False


def regenerate_articles(corpus_dir: Path, report: ImportReport) -> None:
    """Rewrite `corpus/articles/` from all pages; hand-added articles are left alone."""
    articles, problems = build_articles(corpus_dir / "pages")
    report.problems += problems
    out_dir = corpus_dir / "articles"
    out_dir.mkdir(parents=True, exist_ok=True)
    for article_id, (article, auto_title) in articles.items():
        path = out_dir / f"{article_id}.md"
        title = (curated_title(path) if path.exists() else None) or auto_title
        text = render_article(article, article_id, title)
        if was_released(path):
            text = with_front_matter(text, screening=RELEASED)
        elif reasons := reasons_to_hold(text):
            hold(corpus_dir, article_id, text, reasons)
            path.unlink(missing_ok=True)
            report.held.append(f"{article_id}: held for review ({'; '.join(reasons)})")
            continue
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") == text:
            report.unchanged.append(article_id)
            continue
        path.write_text(text, encoding="utf-8")
        report.written.append(article_id)
    for path in sorted(out_dir.glob("*.md")):
        if path.stem not in articles and is_generated(path):
            path.unlink()
            report.removed.append(path.stem)
