"""Prompt texts live in prompts/*.txt; this module only loads and fills them."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from tutor.profile import InstituteProfile


@lru_cache(maxsize=None)
def prompt(name: str, language: str = "en") -> str:
    """The text of prompts/<name>.txt, without its trailing newline; for another language the
    learner's own prompts/<language>/<name>.txt when there is one (the fixed replies are
    written out per language: instant, and the same without an LLM)."""
    folder = files("tutor.agent") / "prompts"
    localised = folder / language / f"{name}.txt"
    path = localised if language != "en" and localised.is_file() else folder / f"{name}.txt"
    return path.read_text(encoding="utf-8").rstrip("\n")


def for_institute(name: str, profile: InstituteProfile, language: str = "en") -> str:
    """A prompt text with the institute's own words filled in (`{name}`, `{persona}`)."""
    return prompt(name, language).format(name=profile.name, short_name=profile.display_name, persona=profile.persona)


def system_prompt(profile: InstituteProfile, level_instruction: str) -> str:
    """Fixed instructions plus the learner's level: the prefix llama.cpp keeps cached, so
    only the sources and the question are read anew for each question."""
    return for_institute("system", profile) + "\n" + level_instruction


def numbered_sources(titles: list[str], passages: list[str], numbers: list[int] | None = None) -> str:
    """The `[n] Title › Section` blocks the model cites from (ExtractiveChat parses the same);
    numbered 1..n, or with the `numbers` the passages have in the whole answer's sources."""
    numbers = numbers or list(range(1, len(passages) + 1))
    return "\n\n".join(f"[{n}] {title}\n{text}" for n, title, text in zip(numbers, titles, passages))


def answer_message(
    sources: str, question: str, earlier: str = "", premise: tuple[str, ...] = (), yes_no: bool = False, side: str = ""
) -> str:
    """The variable part of the prompt, read anew for every question. A follow-up's earlier
    question comes after it, marked as context: joined into one question, a small model
    answers the earlier one ("what magazine cover was he on? (Who is Obiora?)" -> his bio).
    A yes/no question's claim that the sources never state is named, so the model looks for
    what they say instead; any other yes/no question asks for its yes or no, since told
    nothing, a small model declines one whose answer is "no" ("Is the TUM MSc online?").
    One side of a comparison is named, so the model answers for it alone."""
    context = prompt("earlier").format(earlier=earlier.strip()) if earlier.strip() else ""
    if premise:
        context += prompt("premise").format(claim=", ".join(f'"{claim}"' for claim in premise))
    elif yes_no:
        context += prompt("yes_no")
    if side:
        context += prompt("comparison_side").format(side=side)
    return prompt("answer").format(sources=sources, question=question.strip(), context=context)
