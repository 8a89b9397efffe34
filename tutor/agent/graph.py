"""Wiring of the tutoring graph; the stages themselves live in nodes.py (what the model is
shown, in passages.py).

    guard ─┬─ answer ─> translate ─┬─ answer ─> condense -> retrieve -> grade ─┬─ strong ─> generate -> verify ─┬─ ok ──────> localise -> END
           │                       │                          ^                ├─ weak ───> rewrite ─┘ (max 1)    ├─ failed ──> fallback -> localise
           │                       │                          └────────────────┘                                  └─ withheld > fallback -> localise
           └───────────────────────┴─ refuse / smalltalk / clarify ─> END      └─ still weak ─> decline -> END     (post-check again; withheld -> refuse)
                                                                       (a yes/no question's unstated claim: -> generate; verify: a "no" with the fact, or refuse)
                                                                       (read with its conversation only because that came closer, and not strong: -> alone -> retrieve)
translate: a question in another language goes on in English (with an LLM; routed again).
localise: the verified English answer in the learner's language, [n] and figures kept.
condense: a follow-up is searched with its conversation when that brings the search closer,
misspelt words as the content's; rewrite: abbreviations spelt out, any word the content lacks
read as a typo; alone: such a follow-up whose passages fall short is searched as asked (it may
be on a new subject);
retrieve: a comparison is searched side by side; generate: and drafted side by side, each
side from its own passages, when no passage serves both; a decline despite strong evidence
is asked again on the best passage alone; grade: a name or year the passages never
mention is a near miss, unless a yes/no question claims it (then the answer must deny it and
give the passages' fact; a place or year it is only set in is left out of the question drafted,
and the answer says nothing mentions it); verify: names, years and figures must be in the cited passage, a
"yes" must be what it states (as the model reads it: claims.py), a draft at least half backed
goes out without the rest (no second draft: at temperature 0 the same prompt writes nearly the
same draft), and an answer citing one side of a comparison only names the other in a notice;
fallback: quoted sentences, or a decline when they never state the kind of fact
asked for.
"""

from __future__ import annotations

from functools import lru_cache

from langgraph.graph import END, START, StateGraph

from tutor.agent import nodes
from tutor.agent.state import TutorContext, TutorState


@lru_cache(maxsize=1)
def build_graph():
    """The compiled graph (stateless: conversation memory lives in the learners store)."""
    graph = StateGraph(TutorState, context_schema=TutorContext)
    stages = ("guard", "translate", "condense", "retrieve", "grade", "rewrite", "alone", "decline", "generate", "verify", "fallback", "localise")
    for name in stages:
        graph.add_node(name, getattr(nodes, name))
    graph.add_edge(START, "guard")
    graph.add_conditional_edges("guard", lambda s: "translate" if s["route"] == "answer" else END, ["translate", END])
    graph.add_conditional_edges("translate", lambda s: "condense" if s["route"] == "answer" else END, ["condense", END])
    graph.add_edge("condense", "retrieve")
    graph.add_edge("retrieve", "grade")
    graph.add_conditional_edges("grade", nodes.after_grade, ["generate", "rewrite", "alone", "decline"])
    graph.add_edge("rewrite", "retrieve")
    graph.add_edge("alone", "retrieve")
    graph.add_edge("decline", END)
    graph.add_edge("generate", "verify")
    graph.add_conditional_edges("verify", nodes.after_verify, {"done": "localise", "fallback": "fallback"})
    graph.add_edge("fallback", "localise")
    graph.add_edge("localise", END)
    return graph.compile()
