"""Every page text that names or describes the institute, built from one small object.

`PageTexts.for_institute(profile)` takes anything with `name`, `welcome` and `footer`
attributes (the institute profile plugs in here with one line); without one the page uses
neutral wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

APP_NAME = "Institute Tutor"


class Institute(Protocol):
    name: str
    welcome: str
    footer: str


@dataclass(frozen=True)
class NeutralInstitute:
    """The wording used until an institute profile is configured."""

    name: str = "the institute"
    welcome: str = "Ask about the institute's programmes, careers, admissions and costs, or student life."
    footer: str = (
        "Answers come only from the institute's published content (articles and course descriptions), with "
        "numbered sources. If something isn't covered there, the tutor says so instead of guessing."
    )


@dataclass(frozen=True)
class PageTexts:
    """The institute-specific texts of the page."""

    title: str
    header: str
    welcome: str
    footer: str
    searching: str
    no_answer: str

    @classmethod
    def for_institute(cls, institute: Institute | None = None) -> PageTexts:
        institute = institute or NeutralInstitute()
        return cls(
            title=f"{APP_NAME} · {institute.name}",
            header=f"# 🎓 {APP_NAME}\nYour study guide to {institute.name}, answered from its own published articles.",
            welcome=f"### Welcome! 👋\n{institute.welcome}\n\nEvery answer quotes its **sources**, so you can check them.",
            footer=institute.footer,
            searching=f"🔎 _Looking through {institute.name}'s articles…_",
            no_answer=(
                f"I couldn't put a reliable answer together from {institute.name}'s articles this time. "
                "Please try rephrasing your question, or pick one of the suggestions."
            ),
        )
