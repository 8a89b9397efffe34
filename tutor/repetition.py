"""Ending a local model's answer once it repeats itself.

A small model asked for four sentences sometimes falls into a loop (the same bullet list over
and over) and runs to its token limit: many seconds of text the checks then throw away. The
loop shows as the same run of tokens coming back; an answer, even one that copies its sources,
does not say one 16-token run three times.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LOOP_SPAN = 16  # tokens: longer than a name or a phrase an answer may well repeat
LOOP_TIMES = 3  # the run's third time is a loop; twice can be a sentence restated


def repeats_itself(tokens: Sequence[int], span: int = LOOP_SPAN, times: int = LOOP_TIMES) -> bool:
    """Have the last `span` tokens already come `times` times (this time included)?"""
    if len(tokens) < span + times - 1:
        return False
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(tokens), span)
    return int((windows == windows[-1]).all(axis=1).sum()) >= times


class LoopBreaker:
    """A llama.cpp logits processor for one generation: once what it has written repeats
    itself, only the end-of-text token may follow (the prompt, which answers copy, is not
    counted)."""

    def __init__(self, end_token: int) -> None:
        self.end_token = end_token
        self.prompt_length: int | None = None

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if self.prompt_length is None:
            self.prompt_length = len(input_ids)
        if repeats_itself(input_ids[self.prompt_length :]):
            scores[:] = -np.inf
            scores[self.end_token] = 0.0
        return scores
