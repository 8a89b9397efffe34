"""Every page text that names or describes the institute, built from its profile
(`corpus/institute.yaml`); without one, `InstituteProfile()` gives neutral wording."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.profile import InstituteProfile

APP_NAME = "Institute Tutor"


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
    def for_institute(cls, institute: InstituteProfile | None = None) -> PageTexts:
        institute = institute or InstituteProfile()
        return cls(
            title=f"{APP_NAME} · {institute.display_name}",
            header=f"# 🎓 {APP_NAME}\nYour study guide to {institute.name}, answered from its own published articles.",
            welcome=f"### Welcome! 👋\n{institute.welcome_text}\n\nEvery answer quotes its **sources**, so you can check them.",
            footer=institute.footer_text,
            searching=f"🔎 _Looking through {institute.name}'s articles…_",
            no_answer=(
                f"I couldn't put a reliable answer together from {institute.name}'s articles this time. "
                "Please try rephrasing your question, or pick one of the suggestions."
            ),
        )
