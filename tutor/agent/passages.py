"""What the model is shown: the sentences of the best passages that matter to the question,
within a token budget, and which of them each side of a comparison sees."""

from __future__ import annotations

from collections.abc import Collection

from tutor.agent import evidence, policy
from tutor.agent.state import TutorState
from tutor.chunking import count_tokens
from tutor.embeddings import get_embeddings
from tutor.retrieval import SearchHit
from tutor.screening import screen_document
from tutor.text import passage_units, stems

PROMPT_SOURCES = 4  # passages the prompt's sentences are drawn from
RANK_DISCOUNT = 0.05  # per place in the search ranking, next to a cosine similarity in [0, 1]
OVERLAP_WEIGHT = 0.05  # per shared content word, next to a cosine similarity in [0, 1]
FOLLOWING_SHARE = 0.75  # a sentence is worth at least this share of the one before it in its passage


def context_units(text: str) -> list[str]:
    """Sentences of a passage, the same the extractive model quotes from; headings and every
    bullet item stand on their own, items keep a "- " so the prompt still shows them as such."""
    return [f"- {unit.text}" if unit.kind == "item" else unit.text for unit in passage_units(text)]


def select_context(hits: list[SearchHit], queries: list[str], budget_tokens: int) -> list[tuple[SearchHit, str]]:
    """The sentences of the best passages that matter most to the question, within the token
    budget, regrouped by passage in their original order. Ranking by meaning (embeddings)
    finds paraphrases ("partnered" ~ "teams up"); word overlap, minus the passage's own title
    words, breaks ties toward the figures and names asked for; a passage ranked lower by the
    search pays a little per place, so a fourth passage adds what the first three lack. A
    sentence counts by the closest of `queries`: a follow-up's own words ("what magazine cover
    was he on?") find the sentence that answers it, its search query (with the earlier
    question) the subject.
    A sentence is worth at least FOLLOWING_SHARE of the one before it, so the items under a
    heading that matches come with it."""
    chosen = hits[:PROMPT_SOURCES]
    # Sources are quoted material: a sentence that reads as an order to the assistant is never shown to it.
    units = [(i, text) for i, hit in enumerate(chosen) for text in context_units(hit.chunk.text) if not screen_document(text)]
    if not units:
        return []
    queries = list(dict.fromkeys(queries))
    vectors = get_embeddings().encode(queries + [text for _, text in units])
    wanted = stems(" ".join(queries))
    scores = [
        float((vectors[: len(queries)] @ vector).max())
        + OVERLAP_WEIGHT * len(stems(text) & (wanted - stems(chosen[i].chunk.title)))
        - RANK_DISCOUNT * i
        for (i, text), vector in zip(units, vectors[len(queries):])
    ]
    # the detail that answers often follows the sentence that matches the question: a heading
    # and the items under it, "…workshops are for people who…" and "Lessons teach the Unix shell…"
    for k in range(1, len(units)):
        if units[k][0] == units[k - 1][0]:
            scores[k] = max(scores[k], FOLLOWING_SHARE * scores[k - 1])
    kept: set[int] = set()
    used = 0
    for k in sorted(range(len(units)), key=lambda k: (-scores[k], k)):
        needed = {k, lead_in(units, k)} - {None} - kept
        cost = sum(count_tokens(units[j][1]) for j in needed)
        if kept and used + cost > budget_tokens:
            continue
        kept |= needed
        used += cost
    # one unit per line: a heading joined to the next sentence would read as part of it
    grouped = [(hit, "\n".join(units[k][1] for k in sorted(kept) if units[k][0] == i)) for i, hit in enumerate(chosen)]
    return [(hit, text) for hit, text in grouped if text]


def lead_in(units: list[tuple[int, str]], k: int) -> int | None:
    """The line that a list item at `k` continues, when there is one: "- are eligible for up to
    20 instances free of charge" says nothing of whom without "Instructors outside high-income
    regions:" above it. Shown with the item, and quoted with it by the extractive model."""
    passage, first = units[k][0], k
    while units[first][1].startswith("- ") and first > 0 and units[first - 1][0] == passage:
        first -= 1
    line = units[first][1]
    return first if first != k and not line.startswith("- ") and line.endswith(":") else None


def side_sources(state: TutorState, context: list[tuple[SearchHit, str]]) -> list[tuple[str, list[int]]]:
    """Each side of a comparison with the numbers of its passages: those its own search
    ranked higher than the other side's did. [] when the question is no comparison, asks for
    a yes or a no ("Is the MSc taught online or on campus?" is one fact), is a follow-up or
    claims something unstated, and when the sides' passages are not apart: a passage both
    searches rank alike (one pricing table for both sides, or found by neither) needs both
    sides in view, and a side without a passage of its own has nothing to be drafted from."""
    sides, side_hits = policy.comparison_sides(state["query"]), state.get("side_hits", [])
    if len(sides) != 2 or len(side_hits) != 2 or state.get("earlier") or state.get("premise") or evidence.asks_to_confirm(state["question"]):
        return []
    ranks = [{hit.chunk.chunk_id: rank for rank, hit in enumerate(hits)} for hits in side_hits]
    unranked = sum(len(hits) for hits in side_hits)
    owners = []
    for hit, _ in context:
        first, second = (ranked.get(hit.chunk.chunk_id, unranked) for ranked in ranks)
        if first == second:
            return []
        owners.append(0 if first < second else 1)
    numbers = [[n for n, owner in enumerate(owners, start=1) if owner == side] for side in (0, 1)]
    return list(zip(sides, numbers)) if all(numbers) else []


def uncited_sides(state: TutorState, cited: Collection[int]) -> list[str]:
    """The sides of a comparison drafted side by side that the answer cites none of their own
    passages for: their draft declined, or the checks left it out. The learner must be told,
    or one side's facts read as the whole comparison."""
    context = list(zip(state.get("source_hits", []), state.get("sources", [])))
    return [side for side, numbers in side_sources(state, context) if set(numbers).isdisjoint(cited)]
