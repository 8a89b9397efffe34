"""llama.cpp's own counters (llama_perf_context): uncached prompt tokens read and tokens generated
per answer, and the raw prompt-reading and generation rates, measured in the bench run.

Read from outside tutor/: the shared Llama instances live in `tutor.llm._LLAMAS` (one per model,
parameters and role: answers, translations); an answer's counters are the sum over them.
llama.cpp counts a decode of more than one token as prompt reading and a single-token decode as
generation; a prompt prefix served from the cache is not counted.
"""

from __future__ import annotations

import time

from tutor.evaluation import percentile

_TOTALS = {"n_p_eval": 0, "t_p_eval_ms": 0.0, "n_eval": 0, "t_eval_ms": 0.0}


def _llamas(role: str | None = None) -> list:
    """The loaded (Llama, lock) pairs, of one role or all (the key's last part is the role)."""
    from tutor import llm

    found = [pair for key, pair in llm._LLAMAS.items() if role in (None, key[-1])]
    if not found:
        raise RuntimeError("the local model is not loaded")
    return found


def _counters(reset: bool) -> dict:
    import llama_cpp

    total = dict.fromkeys(_TOTALS, 0)
    for llama, lock in _llamas():
        with lock:
            data = llama_cpp.llama_perf_context(llama._ctx.ctx)
            if reset:
                llama_cpp.llama_perf_context_reset(llama._ctx.ctx)
        for key in total:
            total[key] += getattr(data, key)
    return total


class Meter:
    """Per-answer counters: call start() before the first answer, answer_done() after each."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def start(self) -> None:
        self.rows = []
        _counters(reset=True)

    def answer_done(self) -> None:
        row = _counters(reset=True)
        self.rows.append(row)
        for key in _TOTALS:
            _TOTALS[key] += row[key]

    def per_answer(self) -> dict:
        return {
            "prompt_tokens_p50": percentile([float(r["n_p_eval"]) for r in self.rows], 50),
            "generated_tokens_p50": percentile([float(r["n_eval"]) for r in self.rows], 50),
        }


def probe(prompt_words: int = 300, new_tokens: int = 64) -> dict:
    """Raw rates on a fixed, uncached prompt (the cache is cleared first), in the answers' context."""
    llama, lock = _llamas("answers")[0]
    import llama_cpp

    prompt = "Summarise: " + " ".join(f"word{i % 50} is a sample of text" for i in range(prompt_words // 6))
    with lock:
        llama.reset()
        llama_cpp.llama_perf_context_reset(llama._ctx.ctx)
        started = time.perf_counter()
        llama.create_completion(prompt, max_tokens=new_tokens, temperature=0.0)
        wall = time.perf_counter() - started
        data = llama_cpp.llama_perf_context(llama._ctx.ctx)
        llama.reset()
    return {
        "prompt_tokens": data.n_p_eval, "generated_tokens": data.n_eval, "wall_s": round(wall, 2),
        "prompt_tokens_per_s": round(data.n_p_eval / (data.t_p_eval_ms / 1000), 1) if data.t_p_eval_ms else None,
        "generation_tokens_per_s": round(data.n_eval / (data.t_eval_ms / 1000), 1) if data.t_eval_ms else None,
    }


def report_rates() -> dict:
    """Rates over every answer measured in this run, and on a fixed probe prompt; printed."""
    t = _TOTALS
    run = {
        "prompt_tokens": t["n_p_eval"], "generated_tokens": t["n_eval"],
        "prompt_tokens_per_s": round(t["n_p_eval"] / (t["t_p_eval_ms"] / 1000), 1) if t["t_p_eval_ms"] else None,
        "generation_tokens_per_s": round(t["n_eval"] / (t["t_eval_ms"] / 1000), 1) if t["t_eval_ms"] else None,
    }
    fixed = probe()
    print(f"\n== llama.cpp rates (local model, this run): prompt reading {run['prompt_tokens_per_s']} tokens/s, "
          f"generation {run['generation_tokens_per_s']} tokens/s over {run['prompt_tokens']} prompt and "
          f"{run['generated_tokens']} generated tokens; fixed {fixed['prompt_tokens']}-token probe: "
          f"{fixed['prompt_tokens_per_s']} / {fixed['generation_tokens_per_s']} tokens/s")
    return {"run": run, "probe": fixed}
