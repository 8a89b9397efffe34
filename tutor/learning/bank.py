"""The question bank: quiz items made from the indexed chunks, verified, stored with the generation.

Two generators share one verification step:
- `ClozeGenerator` needs no model (set-ups without the LLM, and CI): it blanks a name, a figure
  or a rare term in a key sentence; distractors are candidates of the same type taken from
  other chunks of the same topic, never one the source chunk states;
- `LLMGenerator` asks a LangChain chat model (tutor.llm) for one question per chunk, in batch.

Every item carries the verbatim span of its chunk that answers it (`quote`) and that chunk's
text (`source_text`). `verify` keeps an item only when the quote is found verbatim in the
chunk, the answer is in the quote, the question does not give the answer away, the choices
are distinct with no distractor stated in the chunk, most of the question's words are the
chunk's (so it is answerable from that chunk alone), and the question is not a duplicate.

Chunk ids are derived from content, so an item whose chunk id is still indexed is still true:
a rebuild keeps it (re-labelled with the chunk's current topic) and only new chunks get items.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Protocol

from tutor.chunking import Chunk
from tutor.learning.grading import normalise
from tutor.text import CURRENCY, STOPWORDS, is_heading, stems

BANK_FILE = "quiz_bank.jsonl"
CONTRACT_KEYS = ("id", "topic", "kind", "question", "choices", "answer", "quote", "chunk_id", "source_text")
CHOICES = 4  # the answer and three distractors
MAX_ITEMS_PER_CHUNK = 3
MIN_WORDS, MAX_WORDS = 7, 45  # a key sentence says one complete thing, and fits on a screen
BLANK = "_____"
MIN_GROUNDING = 0.5  # share of a question's content words its chunk (with title) must contain
ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total), as in tutor.index


@dataclass(frozen=True)
class QuizItem:
    """One question with its answer, the verbatim span that answers it and the chunk it came from."""

    id: str
    topic: str
    kind: str  # "choice" (multiple choice) | "short" (typed answer)
    question: str
    choices: tuple[str, ...]
    answer: str
    quote: str
    chunk_id: str
    source_text: str
    doc_id: str
    title: str
    section: str
    generator: str  # "cloze" | "llm"

    def contract(self) -> dict:
        """The `tutor quiz bank --json` object (DESIGN.md); other tools read exactly these keys."""
        data = asdict(self)
        return {key: list(data[key]) if key == "choices" else data[key] for key in CONTRACT_KEYS}

    def to_dict(self) -> dict:
        return {**asdict(self), "choices": list(self.choices)}

    @classmethod
    def from_dict(cls, data: dict) -> QuizItem:
        return cls(**{**data, "choices": tuple(data["choices"])})


def make_item(chunk: Chunk, topic: str, question: str, answer: str, quote: str, distractors: Sequence[str], generator: str) -> QuizItem:
    """An item with a content-derived id; multiple choice when there are enough distractors."""
    digest = hashlib.sha1(f"{chunk.chunk_id}\x1f{question}\x1f{answer}".encode()).hexdigest()[:16]
    choices: tuple[str, ...] = ()
    if len(distractors) >= CHOICES - 1:
        options = [answer, *distractors[: CHOICES - 1]]
        random.Random(digest).shuffle(options)  # deterministic: the same bank every build
        choices = tuple(options)
    return QuizItem(
        id=f"q{digest}",
        topic=topic,
        kind="choice" if choices else "short",
        question=question,
        choices=choices,
        answer=answer,
        quote=quote,
        chunk_id=chunk.chunk_id,
        source_text=chunk.text,
        doc_id=chunk.doc_id,
        title=chunk.title,
        section=chunk.section,
        generator=generator,
    )


# ---------------------------------------------------------------- verification


def _mentions(text: str, phrase: str) -> bool:
    """`phrase` occurs in `text` as whole words (a plural too), ignoring case, accents and punctuation."""
    needle = normalise(phrase)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?:e?s)?(?!\w)", normalise(text)) is not None


def question_key(question: str) -> str:
    """How duplicates are recognised: the same words, whatever the case and punctuation."""
    return normalise(question)


def verify(item: QuizItem, chunk: Chunk, seen: set[str]) -> str | None:
    """Why the item must be dropped, or None when it is sound (see the module docstring)."""
    if item.source_text != chunk.text or item.chunk_id != chunk.chunk_id:
        return "not from this chunk"
    if not item.quote.strip() or item.quote not in chunk.text:
        return "quote not verbatim in the chunk"
    if not item.answer.strip() or item.answer.casefold() not in item.quote.casefold():
        return "answer not in the quote"
    if _mentions(item.question.replace(BLANK, " "), item.answer):
        return "question gives the answer away"
    asked = stems(item.question)
    if not asked or len(asked & stems(chunk.embed_text)) < MIN_GROUNDING * len(asked):
        return "question not answerable from the chunk"
    if item.choices:
        if len(set(map(normalise, item.choices))) != len(item.choices) or item.choices.count(item.answer) != 1:
            return "choices not distinct or answer not among them"
        if any(_mentions(chunk.text, c) for c in item.choices if c != item.answer):
            return "a distractor is stated in the chunk"
    if question_key(item.question) in seen:
        return "duplicate question"
    return None


# ---------------------------------------------------------------- key sentences and blanks

NUMBER = re.compile(rf"(?<![\w.,])(?:[{CURRENCY}]\s?)?\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?%?(?![\w,]\d)|(?<![\w.,])(?:[{CURRENCY}]\s?)?\d+(?:\.\d+)?%?(?!\w)")
CONNECTORS = frozenset({"of", "and", "for", "in", "the", "de", "da", "van", "von", "&"})
NAME = re.compile(r"(?<![\w'’-])[A-Z][\w'’&.-]*\w(?:\s+(?:(?:of|and|for|in|the|de|da|van|von|&)\s+)?[A-Z][\w'’&.-]*\w)*")
CLAUSE_START = (".", ":", ";", "!", "?", "–", "—", "-", "(", "“", '"')  # a capital after these may be grammar
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
SKIP = ("|", "<", "{", "`", "http")  # tables, HTML, code, bare addresses: not prose
TERM_SUFFIXES = ("ing", "ed", "tion", "sion", "ment", "ness", "ity", "ly", "al", "ive", "ous", "er", "s")


def plain(sentence: str) -> str:
    """A sentence as a reader sees it: Markdown links reduced to their text, no emphasis marks,
    hard line breaks as spaces."""
    return " ".join(LINK.sub(r"\1", sentence).replace("**", "").replace("*", "").split())


@dataclass(frozen=True)
class Blank:
    """Something worth asking about in a sentence, with its type and shape for distractors."""

    text: str
    kind: str  # "number" | "name" | "term"
    shape: str  # numbers: year/percent/money/count; names: word count; terms: suffix

    @property
    def priority(self) -> int:
        """Figures and names make the clearest questions; rare terms come last."""
        return ("number", "name", "term").index(self.kind)


BLOCK_BREAK = re.compile(r"\n\s*\n|\n(?=[ \t]*(?:[-+*]|\d+[.)])\s|[ \t]*[#>|])")
LIST_MARKER = re.compile(r"^\s*(?:[-+*]|\d+[.)])\s+")
# a sentence ends at . ! ? (or a closing quote after them) before a capital, even one in **bold** or a [link]
SENTENCE_END = re.compile(r"(?<=[.!?\]”\"])\s+(?=[*_\[]*[A-Z0-9\"“(])")


def _paragraphs(text: str) -> list[str]:
    """Substrings of `text` that hold running prose: blocks between blank lines, list items
    and headings, with heading lines (the chunker keeps them without their #) cut off."""
    pieces = []
    for block in BLOCK_BREAK.split(text):
        body = LIST_MARKER.sub("", block).strip()
        lines = body.split("\n")
        start = 0
        for n, line in enumerate(lines[:-1]):
            if is_heading(line, lines[n + 1]):
                pieces.append("\n".join(lines[start:n]))
                start = n + 1
        pieces.append("\n".join(lines[start:]))
    return [piece.strip() for piece in pieces if piece.strip() and not piece.lstrip().startswith(("#", ">", "|"))]


def key_sentences(text: str) -> list[str]:
    """Complete prose sentences of a chunk, verbatim (hard-wrapped lines included); headings,
    tables, code and fragments cut by chunk boundaries skipped."""
    found = []
    for paragraph in _paragraphs(text):
        for sentence in (s.strip() for s in SENTENCE_END.split(paragraph)):
            shown = plain(sentence)
            if not shown or any(marker in shown for marker in SKIP) or not re.match(r"[A-Z0-9“\"]", shown):
                continue
            if MIN_WORDS <= len(shown.split()) <= MAX_WORDS and sentence in text and shown[-1] in ".!?":
                found.append(sentence)
    return list(dict.fromkeys(found))


def _number_shape(number: str) -> str:
    if number.endswith("%"):
        return "percent"
    if number[0] in CURRENCY:
        return "money"
    if re.fullmatch(r"1[89]\d\d|20\d\d", number):
        return "year"
    return "count"


def number_blanks(sentence: str) -> list[Blank]:
    """Figures worth asking about: amounts, percentages, years and counts of two digits or more."""
    blanks = []
    for match in NUMBER.finditer(sentence):
        number = match.group().strip()
        if len(re.sub(r"\D", "", number)) >= 2 or not number[-1].isdigit() or number[0] in CURRENCY:
            blanks.append(Blank(number, "number", _number_shape(number)))
    return blanks


def name_blanks(sentence: str, vocabulary: set[str]) -> list[Blank]:
    """Capitalised names (people, organisations, programmes, acronyms).

    A capital at the start of a clause may be grammar only, so there a first word that the
    corpus also uses in lower case, or a lone capitalised word, is dropped; anywhere, a single
    word the corpus uses in lower case is an ordinary word, not a name."""
    blanks = []
    for match in NAME.finditer(sentence):
        words = match.group().split()
        before = sentence[: match.start()].rstrip()
        clause_start = not before or before.endswith(CLAUSE_START)
        if clause_start and (_ordinary(words[0], vocabulary) or (len(words) == 1 and not re.search(r"[A-Z]", words[0][1:]))):
            words = words[1:]  # "Maybe, ..." or "The ...": capitalised by grammar (acronyms stay)
        while words and (words[0].lower() in CONNECTORS or _ordinary(words[0], set())):
            words.pop(0)
        while words and (words[-1].lower() in CONNECTORS or _ordinary(words[-1], set())):
            words.pop()
        name = " ".join(words).rstrip(".")
        if len(name) > 2 and not (len(words) == 1 and _ordinary(name, vocabulary)):
            blanks.append(Blank(name, "name", str(min(len(words), 3))))
    return blanks


def _ordinary(word: str, vocabulary: set[str]) -> bool:
    """A stop word, or a word the corpus also writes in lower case (let's -> let, it's -> it)."""
    lower = word.lower().replace("’", "'")
    return lower in vocabulary or lower in STOPWORDS or lower.split("'")[0] in STOPWORDS


def term_blanks(sentence: str, rare: set[str]) -> list[Blank]:
    """Lower-case words that few chunks use: the sentence's technical terms, shaped by suffix so
    that distractors fit the grammar of the blank."""
    words = re.findall(r"(?<![\w'’-])[a-z][a-z-]{5,}[a-z](?![\w'’-])", sentence)
    return [Blank(w, "term", next((s for s in TERM_SUFFIXES if w.endswith(s)), "")) for w in dict.fromkeys(words) if w in rare]


class Generator(Protocol):
    """What build_bank needs from a generator: a name, a look at all chunks, items per chunk."""

    name: str
    failures: Counter  # candidates lost before verification, by reason

    def prepare(self, chunks: Sequence[Chunk], topic_of: dict[str, str]) -> None: ...

    def generate(self, chunk: Chunk, topic: str) -> list[QuizItem]: ...


@dataclass
class ClozeGenerator:
    """Fill-in-the-blank items from key sentences, multiple choice where the topic offers distractors.

    A term is "rare" when at most `rare_share` of the chunks use it (at least one other chunk
    must, or it could not be a distractor): a share, so the rule scales with the corpus.
    A chunk gives up to MAX_ITEMS_PER_CHUNK items, more when its topic has few chunks, so that
    every topic reaches `min_per_topic` after verification (hence twice as many candidates).
    """

    rare_share: float = 0.05
    min_per_topic: int = 3
    name: str = "cloze"
    failures: Counter = field(default_factory=Counter)  # none: every blank becomes a candidate
    _pools: dict[str, dict[tuple[str, str], Counter]] = field(default_factory=dict, repr=False)
    _rare: set[str] = field(default_factory=set, repr=False)
    _vocabulary: set[str] = field(default_factory=set, repr=False)
    _sentences: set[str] = field(default_factory=set, repr=False)
    _chunks_per_topic: Counter = field(default_factory=Counter, repr=False)

    def prepare(self, chunks: Sequence[Chunk], topic_of: dict[str, str]) -> None:
        """Collect, per topic, every blank candidate by type and shape: the distractor pools."""
        lower = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]*[a-z]")
        frequency = Counter(word.replace("’", "'") for chunk in chunks for word in set(lower.findall(chunk.text)))
        limit = max(2, math.ceil(self.rare_share * len(chunks)))
        self._vocabulary = set(frequency)
        self._rare = {word for word, n in frequency.items() if 2 <= n <= limit and word not in STOPWORDS}
        self._pools = defaultdict(lambda: defaultdict(Counter))
        self._sentences = set()
        self._chunks_per_topic = Counter(topic_of[c.chunk_id] for c in chunks if c.chunk_id in topic_of)
        for chunk in chunks:
            for sentence in key_sentences(chunk.text):
                self._sentences.add(normalise(plain(sentence)))
                for blank in self.blanks(sentence):
                    self._pools[topic_of.get(chunk.chunk_id, "")][(blank.kind, blank.shape)][blank.text] += 1

    def blanks(self, sentence: str) -> list[Blank]:
        """Candidates that occur once in the sentence as shown and verbatim in the sentence itself."""
        shown = plain(sentence)
        found = [*number_blanks(shown), *name_blanks(shown, self._vocabulary), *term_blanks(shown, self._rare)]
        return [b for b in found if shown.lower().count(b.text.lower()) == 1 and b.text in sentence]

    def distractors(self, blank: Blank, chunk: Chunk, topic: str, sentence: str) -> list[str]:
        """Same-type candidates from the topic, closest in length first, none the chunk states
        and none that would turn the sentence into one the corpus states."""
        pool = self._pools.get(topic, {}).get((blank.kind, blank.shape), Counter())
        answer = normalise(blank.text)
        picked: list[str] = []
        for text in sorted(pool, key=lambda t: (abs(len(t) - len(blank.text)), -pool[t], t)):
            key = normalise(text)
            if not key or key in answer or answer in key or any(normalise(p) == key for p in picked):
                continue
            if _mentions(chunk.text, text) or normalise(plain(sentence).replace(blank.text, text, 1)) in self._sentences:
                continue
            picked.append(text)
            if len(picked) == CHOICES - 1:
                break
        return picked

    def generate(self, chunk: Chunk, topic: str) -> list[QuizItem]:
        """The best blanks of the chunk: one per sentence first (figures, then names, then terms),
        a second blank from a sentence only when the topic needs more items."""
        ranked = sorted(
            ((round_, blank.priority, position, sentence, blank)
             for position, sentence in enumerate(key_sentences(chunk.text))
             for round_, blank in enumerate(self.blanks(sentence))),
            key=lambda entry: entry[:3],
        )
        cap = max(MAX_ITEMS_PER_CHUNK, math.ceil(2 * self.min_per_topic / max(1, self._chunks_per_topic[topic])))
        items = []
        for _, _, _, sentence, blank in ranked[:cap]:
            shown = plain(sentence)
            context = "" if _mentions(chunk.title, blank.text) else f" from “{chunk.title}”"
            question = f"Complete this sentence{context}: {shown.replace(blank.text, BLANK, 1)}"
            distractors = self.distractors(blank, chunk, topic, sentence)
            items.append(make_item(chunk, topic, question, blank.text, sentence, distractors, self.name))
        return items


# ---------------------------------------------------------------- the LLM generator

LLM_PROMPT = """You write quiz questions for students. Read the passage and write ONE question about a specific fact it states (a name, a number, a date, a place or what something does). Never ask what the passage is about.
Reply with JSON only, in this form:
{{"question": "…?", "answer": "a short phrase copied from the passage", "quote": "the full sentence of the passage that contains the answer, copied exactly", "distractors": ["wrong answer", "wrong answer", "wrong answer"]}}
The distractors must be plausible but false, and must not appear in the passage.

Passage from "{title}":
{text}"""
JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass
class LLMGenerator:
    """One question per chunk from a LangChain chat model; the shared verification filters it.

    `budget`: at most this many model calls per build (the rest wait for the next, resumed run).
    `failures` counts replies that were not the JSON asked for (build_bank reports them).
    """

    model: object  # a langchain BaseChatModel (tutor.llm.make_chat_model)
    budget: int | None = None
    name: str = "llm"
    calls: int = 0
    failures: Counter = field(default_factory=Counter)

    def prepare(self, chunks: Sequence[Chunk], topic_of: dict[str, str]) -> None:
        """Nothing to collect: each chunk is asked about on its own."""

    def generate(self, chunk: Chunk, topic: str) -> list[QuizItem]:
        from langchain_core.messages import HumanMessage

        if self.budget is not None and self.calls >= self.budget:
            return []
        self.calls += 1
        reply = self.model.invoke([HumanMessage(LLM_PROMPT.format(title=chunk.title, text=chunk.text))])
        parsed = parse_reply(str(reply.content))
        if parsed is None:
            self.failures["reply not the JSON asked for"] += 1
            return []
        question, answer, quote, distractors = parsed
        return [make_item(chunk, topic, question, answer, quote, distractors, self.name)]


def parse_reply(reply: str) -> tuple[str, str, str, list[str]] | None:
    """(question, answer, quote, distractors) from the model's JSON, or None when malformed."""
    match = JSON_OBJECT.search(reply)
    try:
        data = json.loads(match.group()) if match else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields = [data.get(key) for key in ("question", "answer", "quote")]
    distractors = data.get("distractors") or []
    if not all(isinstance(f, str) and f.strip() for f in fields) or not isinstance(distractors, list):
        return None
    question, answer, quote = (f.strip() for f in fields)
    quote = quote.strip("\"“”'")
    return question, answer, quote, list(dict.fromkeys(str(d).strip() for d in distractors if str(d).strip()))


# ---------------------------------------------------------------- building and storing


@dataclass
class BankReport:
    """A build's items and what it cost: for the CLI, the admin tab and the benchmarks."""

    items: list[QuizItem]
    reused: int = 0
    generated: int = 0  # candidates produced by the generators
    kept: int = 0  # candidates that passed verification
    rejected: Counter = field(default_factory=Counter)  # reason -> count
    seconds: dict[str, float] = field(default_factory=dict)  # generator -> time spent

    @property
    def kept_share(self) -> float:
        return self.kept / self.generated if self.generated else 1.0

    def per_topic(self) -> Counter:
        return Counter(item.topic for item in self.items)

    def summary(self) -> dict:
        return {
            "items": len(self.items),
            "reused": self.reused,
            "generated": self.generated,
            "kept": self.kept,
            "kept_share": round(self.kept_share, 3),
            "rejected": dict(self.rejected),
            "seconds_per_item": {
                name: round(s / max(1, sum(1 for i in self.items if i.generator == name)), 4)
                for name, s in self.seconds.items()
            },
            "topics": dict(self.per_topic()),
        }


def build_bank(
    chunks: Sequence[Chunk],
    topic_of: dict[str, str],
    previous: Iterable[QuizItem] | None = None,
    generators: Sequence[Generator] = (),
    progress: ProgressCallback | None = None,
    checkpoint: Callable[[list[QuizItem]], None] | None = None,
) -> BankReport:
    """Items for `chunks`: previous items of unchanged chunks kept, the rest generated and verified.

    `topic_of` maps chunk id -> topic id (chunks without a topic get no items). A generator
    skips chunks that already hold one of its items, so an interrupted build resumes where it
    stopped when `checkpoint` saved its items (called after every chunk) and they are passed
    back as `previous`. Without `generators`, the no-LLM cloze generator runs.
    """
    generators = generators or (ClozeGenerator(),)
    by_id = {chunk.chunk_id: chunk for chunk in chunks}
    items = [replace(i, topic=topic_of[i.chunk_id]) for i in previous or () if i.chunk_id in by_id and i.chunk_id in topic_of]
    report = BankReport(items=items, reused=len(items))
    seen = {question_key(item.question) for item in items}
    for generator in generators:
        started = time.perf_counter()
        generator.prepare(chunks, topic_of)
        done = {item.chunk_id for item in report.items if item.generator == generator.name}
        todo = [chunk for chunk in chunks if chunk.chunk_id in topic_of and chunk.chunk_id not in done]
        for n, chunk in enumerate(todo, 1):
            for item in generator.generate(chunk, topic_of[chunk.chunk_id]):
                report.generated += 1
                reason = verify(item, chunk, seen)
                if reason:
                    report.rejected[reason] += 1
                    continue
                report.kept += 1
                seen.add(question_key(item.question))
                report.items.append(item)
            if checkpoint:
                checkpoint(report.items)
            if progress:
                progress(f"quiz ({generator.name})", n, len(todo))
        report.seconds[generator.name] = time.perf_counter() - started
        report.generated += sum(generator.failures.values())
        report.rejected.update(generator.failures)
    return report


def save_bank(generation_dir: Path, items: Sequence[QuizItem]) -> Path:
    """Write the bank beside the generation's chunks, atomically (readers see old or new, whole)."""
    path = generation_dir / BANK_FILE
    tmp = path.with_name(f"{BANK_FILE}.tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def load_bank(generation_dir: Path) -> list[QuizItem]:
    """The generation's bank; empty when none was built for it."""
    try:
        with (generation_dir / BANK_FILE).open(encoding="utf-8") as handle:
            return [QuizItem.from_dict(json.loads(line)) for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def refresh_bank(
    chunks: Sequence[Chunk],
    topic_of: dict[str, str],
    old_dir: Path | None,
    new_dir: Path,
    generators: Sequence[Generator] = (),
    progress: ProgressCallback | None = None,
) -> BankReport:
    """The index build's one call: the bank of `new_dir` from its chunks and topics, keeping the
    items of `old_dir` (the previous generation) whose chunks are unchanged, saved after every
    chunk so that an interrupted run resumes."""
    previous = load_bank(old_dir) if old_dir else []
    report = build_bank(chunks, topic_of, previous, generators, progress, checkpoint=lambda items: save_bank(new_dir, items))
    save_bank(new_dir, report.items)
    return report
