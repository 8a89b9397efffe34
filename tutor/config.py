"""Every setting in one typed object, read from TUTOR_* environment variables.

Defaults run everything embedded and offline: local Chroma, the bundled embedding model,
the local GGUF model. Pointing at servers is a matter of setting a URL.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# No library may reach for a model hub or phone home; set before any of them is imported
# (and passed on to the processes the scripts start).
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}
for _name, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_name, _value)

LLMBackend = Literal["local", "openai", "extractive"]


class Settings(BaseSettings):
    """Configuration of one tutor process."""

    model_config = SettingsConfigDict(env_prefix="TUTOR_", extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    data_dir: Path = Path("data")
    model_cache: Path = Field(default_factory=lambda: Path.home() / ".cache" / "institute-tutor")

    # Chunking (a change here triggers a full re-index by itself). 200 tokens plus the title
    # fit the embedding model's 256-word-piece window; larger chunks get truncated.
    chunk_tokens: int = 200
    chunk_overlap_tokens: int = 30

    # Vector store: embedded PersistentClient under index_dir unless a server URL is given.
    chroma_url: str | None = None

    # Retrieval.
    retrieve_k: int = 5
    rrf_k: int = 10  # tuned on the golden set (benchmarks): a sharper fusion than the usual 60
    keyword_weight: float = 2.0  # BM25's vote in the fusion; exact names and figures matter here

    # Chat model.
    llm: LLMBackend = "local"
    openai_base_url: str | None = None
    openai_model: str = "local-model"
    openai_api_key: str = "not-needed"
    llm_threads: int = 2
    llm_context_tokens: int = 4096
    llm_max_answer_tokens: int = 320
    # Prompt-lookup decoding (llama.cpp): tokens guessed from the prompt per step; 0 is off.
    # Measured on 2 CPU cores, same 3 prompts: off 6.5 tokens/s, 2 -> 5.6, 4 -> 5.2 (verifying
    # the guesses costs more than it saves without a GPU), so off by default.
    llm_prompt_lookup_tokens: int = 0
    # Passages shown to the LLM, in tokens: prompt reading runs ~100 tokens/s on 2 cores, so
    # this budget sets the time to first token (see benchmarks).
    prompt_source_tokens: int = 280
    llm_timeout_s: float = 120.0

    # Learners store: SQLite under data_dir unless a database URL is given.
    database_url: str | None = None

    # Web app.
    host: str = "127.0.0.1"
    port: int = 7860
    # First admin account (`tutor users bootstrap`, run by `make run`): hashed at once; when
    # unset, a random password is generated and printed once.
    admin_password: str | None = None
    first_admin_name: str = "admin"
    # Legacy "alice:pw,bob:pw": only an import path now; bootstrap hashes these into learner
    # accounts that don't exist yet. Prefer `tutor users import FILE.csv`.
    auth_users: str | None = None
    max_question_chars: int = 2000
    concurrency_limit: int = 1

    # Accounts (tutor/accounts.py).
    session_hours: float = 12.0  # a session ends this long after sign-in, or at sign-out
    self_registration: bool = False  # learners may create their own accounts
    guest_access: bool = False  # a guest asks without an account; nothing is stored
    password_min_chars: int = 8
    # Failed sign-ins: the first few are free, then each one blocks further tries for a
    # doubling delay, and from `lockout_after` failures on for the whole lock-out. Per account
    # and, more loosely (many students may share a campus address), per address.
    signin_free_failures: int = 3
    signin_delay_s: float = 1.0
    signin_lockout_after: int = 10
    signin_address_lockout_after: int = 50
    signin_lockout_s: float = 900.0

    # Quizzes (tutor/learning): seconds added to the clock that schedules reviews, so a test or
    # a demo sees tomorrow's reviews fall due today. Leave at 0 in production.
    clock_offset_s: float = 0.0

    @property
    def index_pointer(self) -> Path:
        """File naming the live index generation (flipped atomically on re-index)."""
        return self.index_dir / "CURRENT"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings instead)."""
    return Settings()
