"""Wiring of the tutoring graph; the stages themselves live in nodes.py.

    guard ─┬─ answer ─> condense -> retrieve -> grade ─┬─ strong ─> generate -> verify ─┬─ ok ──────> END
           │                          ^                ├─ weak ───> rewrite ─┘ (max 1)    ├─ retry ───> generate (max 1)
           │                          └────────────────┘                                  ├─ failed ──> fallback -> END
           └─ refuse / smalltalk / clarify ─> END      └─ still weak ─> decline -> END   └─ withheld > fallback -> END
                                                                          (post-check again; withheld -> refuse)

condense: a follow-up is searched with its conversation when that brings the search closer;
retrieve: a comparison is searched side by side; grade: a name or year the passages never
mention is a near miss; verify: names, years, figures and a "yes" must be in the cited passage.
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
    for name in ("guard", "condense", "retrieve", "grade", "rewrite", "decline", "generate", "verify", "fallback"):
        graph.add_node(name, getattr(nodes, name))
    graph.add_edge(START, "guard")
    graph.add_conditional_edges("guard", lambda s: "condense" if s["route"] == "answer" else END, ["condense", END])
    graph.add_edge("condense", "retrieve")
    graph.add_edge("retrieve", "grade")
    graph.add_conditional_edges("grade", nodes.after_grade, ["generate", "rewrite", "decline"])
    graph.add_edge("rewrite", "retrieve")
    graph.add_edge("decline", END)
    graph.add_edge("generate", "verify")
    graph.add_conditional_edges("verify", nodes.after_verify, {"done": END, "generate": "generate", "fallback": "fallback"})
    graph.add_edge("fallback", END)
    return graph.compile()
