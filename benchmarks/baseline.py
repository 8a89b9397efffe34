"""The naive LangChain RAG we compare against: 1000/200 character chunks of the raw pages,
the same embedding model, Chroma top-k, and the top 4 chunks stuffed into one prompt."""

from __future__ import annotations

import time
from pathlib import Path

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_text_splitters import RecursiveCharacterTextSplitter

from tutor.embeddings import get_embeddings

NAIVE_PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer the question using only the context below. Cite the passages you use as [1], [2], [3] or [4]. "
         "If the context does not contain the answer, say you don't know."),
        ("human", "Context:\n{context}\n\nQuestion: {question}"),
    ]
)


def build_baseline(pages: Path | list[Path], persist_dir: Path) -> Chroma:
    """Index the raw files (a folder's scraped `.txt` pages, or a list of files) the textbook way."""
    files = sorted(pages.glob("*.txt")) if isinstance(pages, Path) else pages
    pages = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name}) for p in files]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(pages)
    return Chroma.from_documents(splits, embedding=get_embeddings(), persist_directory=str(persist_dir), collection_name="baseline")


def baseline_search(store: Chroma, query: str, k: int = 10) -> list[tuple[str, str]]:
    """Ranked (title, text); raw pages have no article titles, so the page name stands in."""
    return [(d.metadata["source"], d.page_content) for d in store.similarity_search(query, k=k)]


def naive_answer(store: Chroma, model: BaseChatModel, question: str) -> dict:
    """Stuff the top 4 chunks into one prompt and stream the model's answer."""
    started = time.perf_counter()
    docs = store.similarity_search(question, k=4)
    retrieved = time.perf_counter() - started
    context = "\n\n".join(f"[{n}] {d.page_content}" for n, d in enumerate(docs, start=1))
    first_token, parts = None, []
    for chunk in (NAIVE_PROMPT | model).stream({"context": context, "question": question}):
        first_token = first_token or time.perf_counter() - started
        parts.append(str(chunk.content))
    total = time.perf_counter() - started
    return {
        "answer": "".join(parts),
        "docs": docs,
        "timings": {"retrieve_s": retrieved, "first_token_s": first_token or total, "total_s": total},
    }
