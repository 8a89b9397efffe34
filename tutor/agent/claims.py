"""The model's reading of whether passages state a claim: the check a "yes" must pass, and a
"no" that only turns the claim down must fail.

Word matching cannot tell a claim in the student's own words ("the very first workshop", the
passage's "inaugural workshop") from a false one in the passage's own words ("instructors teach
coding with slides", the passage's "instructors don't use slides"); the chat model mostly can,
asked about one claim and its cited passages at a time. On the dev questions of both golden
sets it confirmed 14 of 14 true claims and turned down 17 of 20 false ones; it still confirmed
"an independent non-profit since 2018" from a passage whose 2018 and "independent non-profit"
are two sentences and seven years apart. `grounding.unfounded_yes` adds that every name, year
and figure must be in the passages.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from tutor.agent.grounding import ANSWERED_YES
from tutor.agent.prompts import prompt

REPLY_TOKENS = 3  # "Yes" or "No", and a full stop


def passages_state(model: BaseChatModel, system: str, claim: str, passages: str) -> bool:
    """Whether the model reads `claim` as stated in `passages`. `system` is the tutor's own
    system prompt, so llama.cpp keeps it cached for the next question's draft. A model that
    fails confirms nothing: the "yes" is not given, and the passages are quoted instead."""
    messages = [SystemMessage(system), HumanMessage(prompt("claim_check").format(passages=passages, claim=claim))]
    try:
        reply = str(model.invoke(messages, max_tokens=REPLY_TOKENS).content)
    except Exception:  # a model server that went away
        return False
    return bool(ANSWERED_YES.match(reply))
