"""The institute profile: every institute-specific word the tutor says comes from here.

`corpus/institute.yaml` is one reviewable file beside the content it describes. The page's
title, welcome and footer, the assistant's persona in the prompts and the CLI's banner all read
it; without the file, neutral defaults ("the institute") keep any corpus usable.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

PROFILE_FILE = "institute.yaml"


class ProfileError(ValueError):
    """The profile file exists but cannot be used; the message names the file and the field."""


class InstituteProfile(BaseModel):
    """Who the tutor speaks for. Only `name` matters; everything else has a sensible default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "the institute"
    short_name: str = ""
    description: str = ""
    persona: str = "a friendly study advisor"
    welcome: str = ""
    footer: str = ""
    contact: str = ""
    language: str = "en"
    domains: tuple[str, ...] = ()  # the institute's own web domains: links to them stay clickable

    @field_validator("domains", mode="before")
    @classmethod
    def _bare_hosts(cls, value: object) -> tuple[str, ...]:
        """Accept `example.org` or `https://www.example.org/`; keep the host only."""
        items = [value] if isinstance(value, str) else list(value or [])
        return tuple(urlsplit(d if "//" in d else f"//{d}").hostname or "" for d in map(str, items) if str(d).strip())

    @property
    def display_name(self) -> str:
        """The short name where one is set ("OPIT"), else the full name."""
        return self.short_name or self.name

    @property
    def welcome_text(self) -> str:
        return self.welcome or f"Ask me about {self.name}'s programmes, courses and published articles."

    @property
    def footer_text(self) -> str:
        return self.footer or (
            f"Answers come only from {self.name}'s published content, with numbered sources. "
            "If something isn't covered there, the tutor says so instead of guessing."
        )

    @property
    def allowed_domains(self) -> frozenset[str]:
        """Domains an answer may send a learner to: the profile's own and its contact address's."""
        contact_domain = self.contact.rpartition("@")[2].strip().lower() if "@" in self.contact else ""
        return frozenset(d for d in (*self.domains, contact_domain) if d)


def load_profile(corpus_dir: Path) -> InstituteProfile:
    """The profile in `corpus_dir/institute.yaml`, or neutral defaults when there is none."""
    path = corpus_dir / PROFILE_FILE
    if not path.exists():
        return InstituteProfile()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ProfileError(f"{path}: expected fields like 'name: ...', got a {type(raw).__name__}")
        return InstituteProfile(**{k: v for k, v in raw.items() if v is not None})
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: broken YAML ({str(exc).splitlines()[0]}); fix the file or remove it") from None
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) + f" ({e['msg']})" for e in exc.errors())
        raise ProfileError(f"{path}: unusable field(s): {fields}") from None
