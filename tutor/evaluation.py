"""Golden-set scoring, shared by `tutor eval` and the benchmarks.

A retrieved chunk "hits" when its title holds `source` and its text holds the `all` phrases
and one of the `any` phrases; an answer is right when its text holds the phrases (and, to a true
claim asked for confirmation, says yes).
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from tutor.agent.grounding import ANSWERED_NO, declines
from tutor.agent.policy import condense
from tutor.text import CITATION, split_sentences

GOLDEN_FIELDS = {"id", "q", "source", "all", "any", "refuse", "history", "kind", "split"}
# What a question tests; `refuse: true` goes with the last four (and some near misses of
# other programmes, which are unanswerable by construction).
KINDS = (
    "plain", "paraphrase", "typo", "followup", "comparison", "contradiction", "true_premise", "language",
    "alarming_curriculum", "near_miss", "out_of_scope", "harmful", "injection",
)
SPLITS = ("dev", "test")  # dev may be tuned on; test is only ever reported
# a comma or full stop between the digits of a figure in an escaped golden phrase ("2,250"),
# which an answer may write as a comma, a full stop, a space or a thin space
DIGIT_SEPARATOR = re.compile(r"(?<=\d)(?:,|\\\.)(?=\d)")
LOCAL_SEPARATOR = "[,.\\s\u00a0\u202f]"
TEST_SHARE = 0.4


@dataclass(frozen=True)
class GoldenQuestion:
    id: str
    q: str
    source: str | None = None
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    refuse: bool = False
    history: tuple[str, ...] = ()
    kind: str = "plain"
    split: str = "dev"

    @property
    def search_query(self) -> str:
        """What the agent searches for: follow-ups borrow their earlier question."""
        return condense(self.q, list(self.history))


def load_golden(path: Path) -> list[GoldenQuestion]:
    """Parse a JSON Lines golden set; a broken line is reported with its number."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            unknown = set(raw) - GOLDEN_FIELDS
            if unknown or not raw.get("id") or not raw.get("q"):
                raise ValueError(f"needs id and q; unknown fields {sorted(unknown)}" if unknown else "needs id and q")
            if raw.get("kind", "plain") not in KINDS or raw.get("split", "dev") not in SPLITS:
                raise ValueError(f"kind must be one of {KINDS}, split one of {SPLITS}")
        except (json.JSONDecodeError, ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
        questions.append(
            GoldenQuestion(
                id=str(raw["id"]),
                q=raw["q"],
                source=raw.get("source"),
                all=tuple(raw.get("all", ())),
                any=tuple(raw.get("any", ())),
                refuse=bool(raw.get("refuse", False)),
                history=tuple(raw.get("history", ())),
                kind=raw.get("kind", "plain"),
                split=raw.get("split", "dev"),
            )
        )
    return questions


def holds_phrases(item: GoldenQuestion, text: str) -> bool:
    """All of `all` and one of `any` (case-insensitive); vacuous parts count as held. A figure
    may be written the way the answer's language writes it: "2,250" is "2.250" in a German
    answer, "2 250" in a French one."""
    return all(holds(p, text) for p in item.all) and (not item.any or any(holds(p, text) for p in item.any))


def holds(phrase: str, text: str) -> bool:
    """Whether `text` says `phrase` (case-insensitive), its figures' separators written any
    way a language writes them (`DIGIT_SEPARATOR`)."""
    pattern = DIGIT_SEPARATOR.sub(lambda _: LOCAL_SEPARATOR, re.escape(phrase))
    return re.search(pattern, text, re.IGNORECASE) is not None


# "Yes, …", "That's right: …", "Correct, …": an answer that confirms, in its first sentence
AFFIRMS = re.compile(r"\b(?:yes|yeah|yep)\b|^\W*(?:correct|indeed|that(?:'s| is) (?:right|true|correct))\b", re.IGNORECASE)


def affirms(answer: str) -> bool:
    """Does the answer begin by confirming? Quotes that hold the claimed fact are no "yes": a
    true claim answered only with passages leaves the learner to judge it."""
    first = next(iter(split_sentences(answer.strip())), "")
    return bool(AFFIRMS.search(first)) and not ANSWERED_NO.match(first)


def answered_right(item: GoldenQuestion, answer: str) -> bool:
    """The answer holds the golden phrases; to a true claim asked for confirmation
    (`true_premise`) it also says yes, so a system that says "no" to every claim cannot pass
    both these and the false claims (`contradiction`), and to a false claim it does not: "Yes,
    Platinum memberships include Instructor Training seats, but no Centrally-Organised
    workshops [1]." holds the fact and confirms the claim it contradicts."""
    if item.kind == "true_premise" and not affirms(answer) or item.kind == "contradiction" and affirms(answer):
        return False
    return holds_phrases(item, answer)


def chunk_hits(item: GoldenQuestion, title: str, text: str) -> bool:
    if item.source and item.source.lower() not in title.lower():
        return False
    return holds_phrases(item, text)


def first_hit_rank(item: GoldenQuestion, ranked: list[tuple[str, str]]) -> int | None:
    """1-based rank of the first (title, text) pair that hits, if any. A comparison's two sides
    live in two documents: it hits at the first rank where the chunks so far hold its phrases."""
    if item.kind == "comparison":
        seen = ""
        for rank, (title, text) in enumerate(ranked, start=1):
            seen += f"\n{text}" if not item.source or item.source.lower() in title.lower() else ""
            if holds_phrases(item, seen):
                return rank
        return None
    return next((rank for rank, (title, text) in enumerate(ranked, start=1) if chunk_hits(item, title, text)), None)


def retrieval_metrics(ranks: list[int | None]) -> dict[str, float]:
    """hit@1, hit@5 and MRR@10 from first-hit ranks (None = not found in the top 10)."""
    n = max(1, len(ranks))
    return {
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4),
    }


def evaluate_retrieval(
    questions: Iterable[GoldenQuestion], search: Callable[[str], list[tuple[str, str]]]
) -> dict[str, float]:
    """Score any retriever that maps a query to ranked (title, text) pairs."""
    answerable = [q for q in questions if not q.refuse]
    return retrieval_metrics([first_hit_rank(q, search(q.search_query)[:10]) for q in answerable])


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1], 3)


def citations_valid(answer: str, citations: list[dict], known_chunk_ids: set[str]) -> bool:
    """Every [n] in the text maps to a listed citation whose chunk exists in the index."""
    listed = {c["n"]: c for c in citations}
    markers = {int(n) for n in CITATION.findall(answer)}
    return bool(markers) and all(n in listed and listed[n]["chunk_id"] in known_chunk_ids for n in markers)


def declined(result: dict) -> bool:
    """Declined by routing, or in words ("the sources don't say"), as the naive baseline is judged."""
    return result["route"] == "refuse" or (result["route"] == "answer" and declines(result["answer"]))


def score_result(item: GoldenQuestion, result: dict, known_chunk_ids: set[str]) -> dict:
    """Per-question verdicts added to an `ask` result."""
    retrieved = result.get("retrieved", [])
    rank = first_hit_rank(item, [(r["title"], r["text"]) for r in retrieved]) if not item.refuse else None
    answered = result["route"] == "answer"
    return {
        "hit_rank": rank,
        # the ceiling of the answer: a prompt that never held the golden phrases cannot be answered right
        "prompt_holds": None if item.refuse else holds_phrases(item, "\n".join(result.get("shown", []))),
        "right": declined(result) if item.refuse else (answered and answered_right(item, result["answer"])),
        "citations_valid": citations_valid(result["answer"], result["citations"], known_chunk_ids) if answered else None,
    }


def summarise(items: list[GoldenQuestion], results: list[dict]) -> dict:
    """The numbers `tutor eval` and the benchmarks report."""
    answerable = [(q, r) for q, r in zip(items, results) if not q.refuse]
    refusals = [(q, r) for q, r in zip(items, results) if q.refuse]
    answered = [r for r in results if r["route"] == "answer"]
    totals = [r["timings"]["total_s"] for r in results]
    firsts = [r["timings"].get("first_token_s", r["timings"]["total_s"]) for r in answered]
    n_ans = max(1, len(answerable))
    return {
        "questions": len(items),
        **retrieval_metrics([r["hit_rank"] for _, r in answerable]),
        "answer_accuracy": round(sum(r["right"] for _, r in answerable) / n_ans, 4),
        "prompt_holds_answer": round(sum(bool(r.get("prompt_holds")) for _, r in answerable) / n_ans, 4),
        "refusal_accuracy": round(sum(r["right"] for _, r in refusals) / max(1, len(refusals)), 4),
        "false_refusals": sum(1 for _, r in answerable if r["route"] != "answer"),
        "citations_valid": round(sum(bool(r["citations_valid"]) for r in answered) / max(1, len(answered)), 4),
        "latency_p50_s": percentile(totals, 50),
        "latency_p95_s": percentile(totals, 95),
        "first_token_p50_s": percentile(firsts, 50),
        "first_token_p95_s": percentile(firsts, 95),
    }


def run_eval(service, items: list[GoldenQuestion], progress: Callable[[int, int], None] | None = None) -> dict:
    """Run every golden question through the same agent the students use."""
    known = {c.chunk_id for c in service.retriever.generation().chunks}
    results = []
    for done, item in enumerate(items, start=1):
        answer = service.ask(item.q, history=list(item.history))
        result = {
            "id": item.id,
            "q": item.q,
            "answer": answer.answer,
            "route": answer.route,
            "citations": [c.to_dict() for c in answer.citations],
            "retrieved": [{"chunk_id": h.chunk.chunk_id, "title": h.chunk.title, "text": h.chunk.text} for h in answer.retrieved],
            "shown": answer.shown,
            "timings": answer.timings,
            "llm": answer.llm,
        }
        result.update(score_result(item, result, known))
        results.append(result)
        if progress:
            progress(done, len(items))
    return {"summary": summarise(items, results), "results": results}


# ---------------------------------------------------------------- dev/test split


def follow_up_groups(items: list[GoldenQuestion]) -> dict[str, str]:
    """id -> id of the conversation it belongs to: a follow-up joins the question its history
    starts with (when that question is in the set), so a pair never straddles the split."""
    by_text = {q.q: q.id for q in items}
    return {q.id: by_text.get(q.history[0], q.id) if q.history else q.id for q in items}


def assign_splits(items: list[GoldenQuestion], test_share: float = TEST_SHARE) -> dict[str, str]:
    """Deterministic, stratified dev/test split: conversations are grouped by kind (a group with
    a follow-up counts as `followup`), ordered by a hash of their id, and the first
    round(share * n) of each kind go to test. Adding questions of one kind never moves others."""
    groups = follow_up_groups(items)
    members: dict[str, list[GoldenQuestion]] = {}
    for q in items:
        members.setdefault(groups[q.id], []).append(q)
    strata: dict[str, list[str]] = {}
    for key, qs in members.items():
        kind = "followup" if any(q.kind == "followup" for q in qs) else qs[0].kind
        strata.setdefault(kind, []).append(key)
    split = {}
    for keys in strata.values():
        keys.sort(key=lambda k: hashlib.sha1(k.encode()).hexdigest())
        n_test = round(test_share * len(keys))
        for n, key in enumerate(keys):
            for q in members[key]:
                split[q.id] = "test" if n < n_test else "dev"
    return split


def select(items: list[GoldenQuestion], split: str | None = None, kinds: Iterable[str] | None = None) -> list[GoldenQuestion]:
    wanted = set(kinds) if kinds else None
    return [q for q in items if (split is None or q.split == split) and (wanted is None or q.kind in wanted)]


def after_another(items: list[GoldenQuestion]) -> list[GoldenQuestion]:
    """Each question without a conversation of its own asked after another question of the set,
    the one half the list away (with that one's own conversation): a student who changes the
    subject. A question on a new subject must be answered as well there as when asked first;
    follow-ups keep their own conversation."""
    n = len(items)
    if n < 2:
        return list(items)
    others = [items[(i + n // 2) % n] for i in range(n)]
    return [item if item.history else replace(item, history=(*other.history, other.q)) for item, other in zip(items, others)]


def evenly_by_kind(items: list[GoldenQuestion], limit: int | None) -> list[GoldenQuestion]:
    """`limit` questions shared out evenly over the kinds present (each kind's share spread
    over its questions); all of them when no limit or the limit covers the set."""
    if not limit or limit >= len(items):
        return items
    by_kind: dict[str, list[GoldenQuestion]] = {}
    for q in items:
        by_kind.setdefault(q.kind, []).append(q)
    quota = dict.fromkeys(by_kind, 0)
    left = limit
    while left:  # round-robin, skipping kinds that are used up
        progressed = False
        for kind, qs in by_kind.items():
            if left and quota[kind] < len(qs):
                quota[kind] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    picked = {q.id for kind, qs in by_kind.items() for q in (qs[i * len(qs) // quota[kind]] for i in range(quota[kind]))}
    return [q for q in items if q.id in picked]


# ---------------------------------------------------------------- phrase check and per-kind scores


def unsupported_phrases(item: GoldenQuestion, documents: list[tuple[str, str]]) -> list[str]:
    """What makes an answerable question's expectations untrue to the corpus: a phrase found in
    no document, or no single document (with `source` in its title) holding all of them."""
    if item.refuse:
        return []
    texts = [text.lower() for _, text in documents]
    problems = [p for p in (*item.all, *item.any) if not any(p.lower() in t for t in texts)]
    if not any(chunk_hits(item, title, f"{title}\n{text}") for title, text in documents):
        problems.append("no single document holds the `all` phrases and one `any` phrase" + (f" under '{item.source}'" if item.source else ""))
    return problems


def by_kind(items: list[GoldenQuestion], results: list[dict]) -> dict[str, dict]:
    """Per kind: answers right (answerable), how often the prompt held the answer (answerable),
    declines right (refuse), false refusals, citations valid, retrieval hit@5, first-token and total latency p50. `results` are `score_result`-scored agent results."""
    table: dict[str, dict] = {}
    for kind in [k for k in KINDS if any(q.kind == k for q in items)] + ["all"]:
        pairs = [(q, r) for q, r in zip(items, results) if kind in ("all", q.kind)]
        answerable = [r for q, r in pairs if not q.refuse]
        refusals = [r for q, r in pairs if q.refuse]
        answered = [r for _, r in pairs if r["route"] == "answer"]
        table[kind] = {
            "n": len(pairs),
            "answers_right": _share(sum(r["right"] for r in answerable), len(answerable)),
            "prompt_holds": _share(sum(bool(r.get("prompt_holds")) for r in answerable), len(answerable)),
            "declines_right": _share(sum(r["right"] for r in refusals), len(refusals)),
            "false_refusals": sum(1 for r in answerable if r["route"] != "answer" or declined(r)),
            "citations_valid": _share(sum(bool(r.get("citations_valid")) for r in answered), len(answered)),
            "hit@5": _share(sum(1 for r in answerable if r.get("hit_rank") and r["hit_rank"] <= 5), len(answerable)),
            # answered questions only: a refusal costs no model call and would flatter the figure
            "first_token_p50_s": _p50([r["timings"].get("first_token_s", r["timings"]["total_s"]) for r in answered]),
            "latency_p50_s": _p50([r["timings"]["total_s"] for r in answered]),
        }
    return table


def _p50(values: list[float]) -> float | None:
    return percentile(values, 50) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None
