"""The course catalogue: one document, made at index time, that lists every course document.

Questions like "Which master's programmes do you offer?" are about the set of courses, which
no single course page answers. The catalogue quotes each course's title and the opening
sentence of its description, so such questions retrieve one passage that names them all and
cite it like any other. It is rebuilt from whatever documents carry `kind: course`, so a new
school's courses work the moment they are imported.
"""

from __future__ import annotations

import re

from tutor.corpus import Document
from tutor.profile import InstituteProfile

CATALOGUE_ID = "course-catalogue"
CATALOGUE_KIND = "catalogue"
MARKDOWN_NOISE = re.compile(r"^#+\s.*$|\[([^\]]*)\]\([^)]*\)|[*_`>]", re.MULTILINE)


def opening_sentence(text: str, limit: int = 40) -> str:
    """The first sentence of a description (headings and link targets dropped), at most `limit` words."""
    plain = " ".join(MARKDOWN_NOISE.sub(lambda m: m.group(1) or "", text).split())
    first = re.split(r"(?<=[.!?])\s+", plain, maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:limit]) + ("…" if len(words) > limit else "")


def catalogue_document(documents: list[Document], profile: InstituteProfile) -> Document | None:
    """The catalogue of the corpus's course documents, or None when it has none."""
    courses = sorted((d for d in documents if d.kind == "course"), key=lambda d: d.title.lower())
    if not courses:
        return None
    title = f"Programmes and courses of {profile.name}"
    lines = [f"# {title}", "", f"The courses and programmes described in {profile.name}'s content:", ""]
    lines += [f"- {d.title}: {opening_sentence(d.text)}" for d in courses]
    first = courses[0]
    return Document(
        id=CATALOGUE_ID,
        title=title,
        kind=CATALOGUE_KIND,
        text="\n".join(lines) + "\n",
        path=first.path.parent,
        meta={"courses": [d.id for d in courses]},
    )
