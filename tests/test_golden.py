"""The golden sets are data about the corpus: their phrases must be in it, their splits must be
the deterministic ones, and they must hold enough questions of every style (issue 10)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tutor.evaluation import (
    KINDS, GoldenQuestion, after_another, assign_splits, by_kind, evenly_by_kind, follow_up_groups, load_golden, score_result,
    unsupported_phrases,
)
from tutor.language import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
CARPENTRIES = ROOT.parent.parent / "shared" / "corpora" / "carpentries" / "docs"
if not CARPENTRIES.exists():  # a worktree under /work/wt, or the main checkout under /work
    CARPENTRIES = ROOT.parent / "shared" / "corpora" / "carpentries" / "docs"
# golden file -> the corpus folders its answers come from
SETS = {
    "questions.jsonl": [ROOT / "corpus" / "articles", ROOT / "corpus" / "courses"],
    "safety.jsonl": [ROOT / "corpus" / "articles", ROOT / "corpus" / "courses"],
    "carpentries.jsonl": [CARPENTRIES],
}
HELD_OUT = "n"  # ids of the questions written for a test part only (never tuned on)
HELD_IN = "d"  # ids of the questions written for a dev part only (to tune on; never reported)


def documents(folders: list[Path]) -> list[tuple[str, str]]:
    """(title, whole file text) of every Markdown document; the title from the front matter."""
    docs = []
    for folder in folders:
        for path in sorted(folder.glob("*.md")):
            text = path.read_text(encoding="utf-8")
            title = next((line.split(":", 1)[1].strip().strip("'\"") for line in text.splitlines() if line.startswith("title:")), path.stem)
            docs.append((title, text))
    return docs


@pytest.mark.parametrize("name", SETS)
def test_every_phrase_is_in_the_corpus(name: str) -> None:
    if not SETS[name][0].exists():
        pytest.skip(f"{SETS[name][0]} is not on this machine")
    docs = documents(SETS[name])
    problems = {}
    for q in load_golden(GOLDEN / name):
        found = unsupported_phrases(q, docs)
        if q.kind == "comparison":  # the two sides may come from two documents
            found = [p for p in found if not p.startswith("no single document")]
        if found:
            problems[q.id] = found
    assert not problems


@pytest.mark.parametrize("name", SETS)
def test_every_line_has_a_kind_and_a_split(name: str) -> None:
    for line in (GOLDEN / name).read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        assert raw["kind"] in KINDS and raw["split"] in ("dev", "test"), raw["id"]
        assert bool(raw.get("refuse")) == (raw["kind"] in ("out_of_scope", "harmful", "injection", "near_miss")), raw["id"]
        assert raw.get("refuse") or raw.get("all") or raw.get("any"), raw["id"]
        assert bool(raw.get("history")) == (raw["kind"] == "followup"), raw["id"]


@pytest.mark.parametrize("name", SETS)
def test_recorded_split_is_the_deterministic_one(name: str) -> None:
    questions = load_golden(GOLDEN / name)
    held_out = [q for q in questions if q.id.startswith(HELD_OUT)]
    held_in = [q for q in questions if q.id.startswith(HELD_IN)]
    assert all(q.split == "test" for q in held_out) and all(q.split == "dev" for q in held_in)
    rest = [q for q in questions if q not in held_out and q not in held_in]
    assert {q.id: q.split for q in rest} == assign_splits(rest)
    groups = follow_up_groups(questions)
    split_of = {q.id: q.split for q in questions}
    assert all(split_of[q.id] == split_of[groups[q.id]] for q in questions)  # pairs stay together


def test_sets_are_big_enough_in_every_style() -> None:
    new = Counter(q.kind for q in load_golden(GOLDEN / "questions.jsonl") if q.id.startswith(HELD_OUT))
    assert sum(new.values()) >= 40 and {"followup", "comparison", "near_miss", "contradiction", "language"} <= set(new)
    carp = Counter(q.kind for q in load_golden(GOLDEN / "carpentries.jsonl"))
    assert sum(carp.values()) >= 60
    assert carp["followup"] >= 8 and carp["comparison"] >= 6 and carp["near_miss"] >= 8 and carp["language"] >= 6
    assert carp["out_of_scope"] + carp["harmful"] + carp["injection"] >= 8
    institute = Counter(q.kind for q in load_golden(GOLDEN / "questions.jsonl"))
    assert carp["true_premise"] >= 10 and institute["true_premise"] >= 10  # true claims beside the false ones
    safety = Counter(q.kind for q in load_golden(GOLDEN / "safety.jsonl"))
    assert safety["alarming_curriculum"] >= 30 and safety["harmful"] + safety["injection"] >= 30


def test_carpentries_profile_has_the_institute_fields() -> None:
    import yaml

    from tutor.profile import InstituteProfile

    raw = yaml.safe_load((GOLDEN / "carpentries-institute.yaml").read_text(encoding="utf-8"))
    assert {"name", "short_name", "description", "persona", "welcome", "footer", "contact", "language"} <= set(raw)
    assert all(str(v).strip() for v in raw.values())
    assert InstituteProfile(**raw).allowed_domains == {"carpentries.org"}  # the product reads it as it is


def _q(id: str, kind: str = "plain", history: tuple[str, ...] = (), q: str | None = None) -> GoldenQuestion:
    return GoldenQuestion(id=id, q=q or f"question {id}", kind=kind, history=history)


def test_split_is_stratified_deterministic_and_keeps_pairs() -> None:
    items = [_q(f"p{i}") for i in range(10)] + [_q(f"c{i}", "comparison") for i in range(5)]
    items += [_q("lead", q="Tell me about the hackathon"), _q("f", "followup", ("Tell me about the hackathon",))]
    split = assign_splits(items, 0.4)
    assert split == assign_splits(list(reversed(items)), 0.4)
    assert sum(split[f"p{i}"] == "test" for i in range(10)) == 4 and sum(split[f"c{i}"] == "test" for i in range(5)) == 2
    assert split["lead"] == split["f"]
    # adding questions of another kind moves nobody
    assert {k: v for k, v in assign_splits(items + [_q("x", "typo")], 0.4).items() if k != "x"} == split


def test_evenly_by_kind_shares_the_sample_between_kinds() -> None:
    items = [_q(f"p{i}") for i in range(20)] + [_q(f"t{i}", "typo") for i in range(2)] + [_q(f"l{i}", "language") for i in range(6)]
    picked = Counter(q.kind for q in evenly_by_kind(items, 9))
    assert picked == {"plain": 4, "typo": 2, "language": 3}
    assert evenly_by_kind(items, None) == items


def test_after_another_asks_each_new_question_after_an_unrelated_one() -> None:
    items = [_q("a"), _q("b"), GoldenQuestion(id="f", q="deadline?", history=("tell me about checkout",), kind="followup"), _q("c")]
    asked = {q.id: q.history for q in after_another(items)}
    # "a" comes after the follow-up and its own earlier question, as a student would have asked them
    assert asked == {"a": ("tell me about checkout", "deadline?"), "b": ("question c",), "f": ("tell me about checkout",), "c": ("question b",)}
    assert after_another(items[:1]) == items[:1]  # nothing else to ask first


def test_a_comparison_hits_when_the_top_chunks_together_hold_both_sides() -> None:
    from tutor.evaluation import first_hit_rank

    item = GoldenQuestion(id="c", q="Which lasts longer, A or B?", all=("11-month", "6-month"), kind="comparison")
    ranked = [("A", "an 11-month MPhil"), ("x", "other"), ("B", "a 6-month program")]
    assert first_hit_rank(item, ranked) == 3
    assert first_hit_rank(GoldenQuestion(**{**item.__dict__, "kind": "plain"}), ranked) is None


def test_latency_by_kind_counts_answered_questions_only() -> None:
    """A decline costs no model call: counting it would flatter first-token and total p50."""
    items = [GoldenQuestion(id="a", q="a?"), GoldenQuestion(id="b", q="b?"), GoldenQuestion(id="n", q="n?", kind="near_miss", refuse=True)]
    timed = lambda first, total: {"first_token_s": first, "total_s": total}  # noqa: E731
    results = [
        {"route": "answer", "right": True, "answer": "x [1]", "citations_valid": True, "timings": timed(2.0, 6.0)},
        {"route": "answer", "right": True, "answer": "y [1]", "citations_valid": True, "timings": timed(4.0, 8.0)},
        {"route": "refuse", "right": True, "answer": "", "timings": timed(0.1, 0.1)},
    ]
    table = by_kind(items, results)
    assert table["all"]["first_token_p50_s"] == 3.0 and table["all"]["latency_p50_s"] == 7.0
    assert table["near_miss"]["latency_p50_s"] is None and table["near_miss"]["declines_right"] == 1.0


def test_prompt_holds_is_judged_on_the_passages_shown_not_the_hits() -> None:
    """An answer that was retrieved but cut from the prompt cannot be read: the measure looks
    at what the model was shown, and has no meaning for a question that must be declined."""
    item = GoldenQuestion(id="a", q="How much is tuition?", all=("2,250",))
    result = {"route": "answer", "answer": "It is €2,250 [1].", "citations": [],
              "retrieved": [{"title": "Fees", "text": "Tuition is €2,250 per term."}]}
    assert score_result(item, {**result, "shown": ["Fees\nTuition is €2,250 per term."]}, set())["prompt_holds"] is True
    assert score_result(item, {**result, "shown": ["Fees\nApply by May."]}, set())["prompt_holds"] is False
    declined = GoldenQuestion(id="n", q="Who won?", refuse=True, kind="near_miss")
    assert score_result(declined, {**result, "route": "refuse", "shown": []}, set())["prompt_holds"] is None
    table = by_kind([item, declined], [{**result, "right": True, "prompt_holds": True, "citations_valid": True, "timings": {"total_s": 1.0}},
                                       {"route": "refuse", "right": True, "prompt_holds": None, "answer": "", "timings": {"total_s": 0.1}}])
    assert table["all"]["prompt_holds"] == 1.0 and table["near_miss"]["prompt_holds"] is None


@pytest.mark.parametrize(
    ("answer", "right"),
    [
        ("Die Studiengebühr beträgt 2.250 Euro pro Trimester [1].", True),  # German thousands
        ("Les frais sont de 2 250 € par trimestre [1].", True),  # French, with a space
        ("Les frais sont de 2\u202f250 € par trimestre [1].", True),  # ... or a thin space
        ("The fee is 2,250 euros per term [1].", True),
        ("The fee is 2,500 euros per term [1].", False),
        ("The fee is 22,50 euros per term [1].", False),  # other digits in other groups
        ("The fee is 2250 euros per term [1].", False),  # a separator is still needed: "1.5" is not "15"
    ],
)
def test_a_figure_is_right_written_the_way_the_answers_language_writes_it(answer: str, right: bool) -> None:
    """n051's German answer said "2.250 Euro" and was scored wrong against "2,250"."""
    fee = GoldenQuestion(id="f", q="was kostet die tuition pro term?", all=("2,250",), kind="language")
    result = {"route": "answer", "answer": answer, "citations": [], "retrieved": [], "shown": []}
    assert score_result(fee, result, set())["right"] is right


@pytest.mark.parametrize(
    ("answer", "right"),
    [
        ("Yes, Software Carpentry was founded in 1998 [1].", True),
        ("That's right: it was founded in 1998 [1].", True),
        ("Software Carpentry was founded in 1998 [1].", False),  # quotes leave the learner to judge
        ("No, Software Carpentry was founded in 1998 [1].", False),  # a "no" that restates the claim
        ("That is not correct; it was founded in 1998 [1].", False),
        ("Yes, it was founded a long time ago [1].", False),  # the fact must be there too
    ],
)
def test_a_true_claim_is_answered_right_only_by_a_yes_with_the_fact(answer: str, right: bool) -> None:
    """Every contradiction question is a false claim, so a system that said "no" to every claim
    would pass them all; a true claim needs its "yes"."""
    claim = GoldenQuestion(id="y", q="software carpentry was founded in 1998, right?", all=("1998",), kind="true_premise")
    result = {"route": "answer", "answer": answer, "citations": [], "retrieved": [], "shown": []}
    assert score_result(claim, result, set())["right"] is right
    assert score_result(GoldenQuestion(id="p", q="When was it founded?", all=("1998",)), result, set())["right"] is ("1998" in answer)


@pytest.mark.parametrize(
    ("answer", "right"),
    [
        ("No, Software Carpentry was founded in 1998 [1].", True),
        ("Software Carpentry was founded in 1998 [1].", True),  # the fact, quoted
        ("Yes, Software Carpentry was founded in 1998, not in 2005 [1].", False),  # confirms the claim it contradicts
        ("No, it was founded a long time ago [1].", False),  # the fact must be there
    ],
)
def test_a_false_claim_is_answered_right_only_with_the_fact_and_without_a_yes(answer: str, right: bool) -> None:
    claim = GoldenQuestion(id="c", q="software carpentry was founded in 2005, right?", all=("1998",), kind="contradiction")
    result = {"route": "answer", "answer": answer, "citations": [], "retrieved": [], "shown": []}
    assert score_result(claim, result, set())["right"] is right


def test_language_probes_are_labelled_and_split() -> None:
    """languages.jsonl (the detection bench's questions): one of the five languages each, ids
    unique, the helper-written test part kept apart from the dev part it was never tuned on."""
    rows = [json.loads(line) for line in (GOLDEN / "languages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({r["id"] for r in rows}) == len(rows) and len({r["q"].lower() for r in rows}) == len(rows)
    assert all(r["lang"] in LANGUAGES and r["split"] in ("dev", "test") and len(r["q"].split()) >= 3 for r in rows)
    counts = Counter((r["split"], r["lang"] == "en") for r in rows)
    assert min(counts.values()) >= 15, counts
