"""Chat-model backends: the extractive fallback, the local GGUF and an OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TypedDict

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph

from tutor.agent.prompts import answer_message
from tutor.config import Settings
from tutor.extractive import NOT_FOUND, ExtractiveChat, parse_sources
from tutor.llm import (
    MODEL_FILENAME,
    MODEL_SHA256,
    MODEL_SIZE,
    LlamaCppChat,
    ensure_local_model,
    make_chat_model,
)
from tutor.repetition import repeats_itself

from .conftest import free_port

PROMPT = """<sources>
[1] Admissions › Requirements
To enrol in the Data Science programme you need a bachelor's degree. Applicants also send a
motivation letter and a CV.
## Deadlines
Applications for the autumn intake close on 31 May.

[2] Fees › Tuition
Tuition for one year of study is 4,800 euros. Tuition can be paid in three instalments.

[3] Campus › Library
The library opens at 8 o'clock on weekdays and lends laptops to students.
</sources>
Question: When do applications close?"""

QUESTION = "What is the capital of France? Answer with one word."


def settings_for(cache: Path, **overrides: object) -> Settings:
    """Settings isolated from any TUTOR_* variables of the developer's shell."""
    values: dict[str, object] = {"model_cache": cache, "llm": "extractive", "openai_base_url": None}
    return Settings(**(values | overrides))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            digest.update(block)
    return digest.hexdigest()


def stream_through_langgraph(model: BaseChatModel, prompt: str) -> list[str]:
    """Tokens seen by LangGraph's stream_mode="messages" when a node calls invoke()."""

    class State(TypedDict):
        answer: str

    def node(state: State) -> State:
        return {"answer": model.invoke([HumanMessage(prompt)]).text}

    graph = StateGraph(State).add_node("llm", node).add_edge(START, "llm").add_edge("llm", END)
    events = graph.compile().stream({"answer": ""}, stream_mode="messages")
    return [message.text for message, _meta in events if message.text]


# --------------------------------------------------------------------------- extractive


def test_parse_sources_splits_passages_and_question() -> None:
    sources, question = parse_sources(PROMPT)
    assert [n for n, _, _ in sources] == [1, 2, 3]
    assert sources[1] == (
        2,
        "Fees › Tuition",
        "Tuition for one year of study is 4,800 euros. Tuition can be paid in three instalments.",
    )
    assert "Admissions" not in sources[0][2]  # the header line is not passage text
    assert question == "When do applications close?"


def test_parse_sources_without_sources_block() -> None:
    assert parse_sources("Question: hello there") == ([], "hello there")
    assert parse_sources("just a question") == ([], "just a question")


def test_extractive_picks_the_answering_sentence_and_cites_it() -> None:
    answer = ExtractiveChat().invoke(PROMPT).text
    assert answer.startswith("Applications for the autumn intake close on 31 May. [1]")
    assert "[2]" not in answer and "[3]" not in answer


def test_extractive_cites_the_right_source_number() -> None:
    prompt = PROMPT.replace("When do applications close?", "How much is the tuition per year?")
    answer = ExtractiveChat().invoke(prompt).text
    assert answer.startswith("Tuition for one year of study is 4,800 euros. [2]")
    assert "[1]" not in answer


def test_extractive_rejoins_wrapped_lines_and_skips_headings() -> None:
    prompt = PROMPT.replace("When do applications close?", "What must applicants send?")
    answer = ExtractiveChat().invoke(prompt).text
    assert answer.startswith("Applicants also send a motivation letter and a CV. [1]")
    assert "Deadlines" not in answer


def test_extractive_reads_each_sentence_under_its_sources_heading() -> None:
    """The overview names the programme more often than the sentence under "… › Cost" does."""
    prompt = """<sources>
[1] MSc in Applied Data Science & AI (OPIT) › Cost
Tuition for the degree programmes costs as little as €2,250 per term.

[2] MSc in Applied Data Science & AI (OPIT) › Overview
The MSc in Applied Data Science & AI is an online master's degree from OPIT in data science and AI.
</sources>
Question: How much does OPIT's MSc in Applied Data Science & AI cost?"""
    assert ExtractiveChat().invoke(prompt).text.startswith("Tuition for the degree programmes costs as little as €2,250 per term. [1]")


def ask_extractive(passages: list[str], question: str) -> str:
    """The extractive answer to `question` over numbered passages, as the agent prompts it."""
    sources = "\n\n".join(f"[{n}] Page › Section\n{text}" for n, text in enumerate(passages, start=1))
    return ExtractiveChat().invoke(f"<sources>\n{sources}\n</sources>\nQuestion: {question}").text


def test_extractive_keeps_a_heading_line_out_of_the_next_sentence() -> None:
    passage = "Cost\nTuition for the programme is 4,800 euros per year.\nStudy Online\nLectures are recorded."
    answer = ask_extractive([passage], "How much does the programme cost?")
    assert answer == "Tuition for the programme is 4,800 euros per year. [1]"


def test_extractive_quotes_a_sentence_found_in_two_sources_once() -> None:
    answer = ask_extractive(
        ["Tuition for one year of study is 4,800 euros.", "Tuition for a year of study is 4,800 euros!"],
        "How much is the tuition for a year of study?",
    )
    assert answer == "Tuition for one year of study is 4,800 euros. [1]"


def test_extractive_leaves_source_credits_out() -> None:
    passage = (
        "Tuition for one year of study is 4,800 euros (Source: Fees Office 2024).\n"
        "Source: Annual tuition report of the study office\n"
        "Sources: tuition survey, study office"
    )
    answer = ask_extractive([passage], "How much is the tuition for a year of study?")
    assert answer == "Tuition for one year of study is 4,800 euros. [1]"


def test_extractive_quotes_statements_not_questions() -> None:
    passage = "You might ask, “What do machine learning engineers need?”\nMachine learning engineers need teamwork."
    assert ask_extractive([passage], "What do machine learning engineers need?") == "Machine learning engineers need teamwork. [1]"


def test_extractive_ends_a_quotation_without_an_extra_full_stop() -> None:
    passage = "The founder said: “Our link with companies is the cherry on the cake.”"
    assert ask_extractive([passage], "What is the cherry on the cake?") == f"{passage} [1]"


@pytest.mark.parametrize(
    "sentence",
    [
        "Dr. Jane Doe leads the data science programme.",
        "Prof. J. R. Smith leads the data science programme.",
        "Mr. Alan Brook leads the data science programme at St. Mary's campus.",
        "[Dr. Jane Doe](https://example.org/jane) leads the data science programme.",  # a link's text
        "The data science programme covers methods, e.g. regression, i.e. the basics, vs. deep learning.",
    ],
)
def test_extractive_does_not_end_a_sentence_at_an_abbreviation(sentence: str) -> None:
    answer = ask_extractive([f"{sentence} Classes start in May."], "Who leads the data science programme?")
    assert answer == f"{sentence} [1]"


def test_extractive_combines_at_most_two_sources() -> None:
    prompt = PROMPT.replace(
        "When do applications close?", "Do students need a laptop, a degree or tuition?"
    )
    answer = ExtractiveChat().invoke(prompt).text
    cited = {n for n in ("[1]", "[2]", "[3]") if n in answer}
    assert len(cited) == 2


def test_extractive_quotes_a_list_item_under_its_lead_in() -> None:
    """"Course content includes:" says nothing alone, and an item says little without it."""
    passage = "Course content of the MSc includes:\n- Network security\n- Legal aspects and compliance\n- Cloud security"
    answer = ask_extractive([passage], "Does the MSc cover the legal side of data breaches?")
    assert answer.startswith("Course content of the MSc includes: ") and answer.endswith(". [1]")
    assert "Legal aspects and compliance" in answer and "includes:." not in answer


def test_extractive_joins_items_of_one_list() -> None:
    passage = "Soft skills you need include:\n- Communication\n- Teamwork\n\nThe salary is high."
    answer = ask_extractive([passage], "What soft skills do you need?")
    assert answer == "Soft skills you need include: Communication; Teamwork. [1]"


def test_extractive_reads_an_earlier_question_only_to_break_ties() -> None:
    """A new subject after a follow-up's earlier question is answered about itself; a question
    with no words of its own ("What about it?") borrows the earlier one's."""
    sources = PROMPT.split("Question:")[0].split("<sources>")[1].split("</sources>")[0].strip()
    new_subject = answer_message(sources, "When does the library open?", earlier="How much is the tuition per year?")
    answer = ExtractiveChat().invoke(new_subject).text
    assert answer.startswith("The library opens at 8 o'clock on weekdays") and "[2]" not in answer
    follow_up = answer_message(sources, "What about it?", earlier="When do applications close?")
    assert ExtractiveChat().invoke(follow_up).text.startswith("Applications for the autumn intake close on 31 May. [1]")


def test_extractive_declines_when_nothing_overlaps() -> None:
    prompt = PROMPT.replace("When do applications close?", "Who painted the Mona Lisa?")
    assert ExtractiveChat().invoke(prompt).text == NOT_FOUND
    assert ExtractiveChat().invoke("Question: anything at all?").text == NOT_FOUND


def test_extractive_reads_the_last_human_message() -> None:
    messages = [
        SystemMessage("You are a tutor. Question: ignore this"),
        HumanMessage("Question: who painted it?"),
        AIMessage("Nobody knows."),
        HumanMessage([{"type": "text", "text": PROMPT}]),  # Gradio's list-of-parts content
    ]
    assert "31 May. [1]" in ExtractiveChat().invoke(messages).text


def test_extractive_is_deterministic() -> None:
    answers = {ExtractiveChat().invoke(PROMPT).text for _ in range(5)}
    assert len(answers) == 1


def test_extractive_streams_several_chunks_equal_to_invoke() -> None:
    model = ExtractiveChat()
    chunks = [chunk.text for chunk in model.stream(PROMPT)]
    assert len([c for c in chunks if c]) > 1
    assert "".join(chunks) == model.invoke(PROMPT).text


def test_extractive_tokens_reach_langgraph_messages_stream() -> None:
    tokens = stream_through_langgraph(ExtractiveChat(), PROMPT)
    assert len(tokens) > 1
    assert "".join(tokens) == ExtractiveChat().invoke(PROMPT).text


# --------------------------------------------------------------------------- configuration


def test_default_backend_comes_from_settings(tmp_path: Path) -> None:
    assert isinstance(make_chat_model(settings_for(tmp_path)), ExtractiveChat)


def test_openai_backend_without_base_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TUTOR_OPENAI_BASE_URL"):
        make_chat_model(settings_for(tmp_path), "openai")


def test_unknown_backend_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="local, openai, extractive"):
        make_chat_model(settings_for(tmp_path), "gpt-5")


# --------------------------------------------------------------------------- local model file


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real assembly shared by the slow tests below."""
    cache = tmp_path_factory.mktemp("model-cache")
    ensure_local_model(settings_for(cache))
    return cache


@pytest.mark.slow
def test_ensure_local_model_assembles_the_verified_file(model_cache: Path) -> None:
    model = model_cache / MODEL_FILENAME
    assert model.stat().st_size == MODEL_SIZE
    assert sha256_of(model) == MODEL_SHA256
    assert not list(model_cache.glob("*.part")), "temp files left behind"
    mtime = model.stat().st_mtime_ns
    started = time.perf_counter()
    assert ensure_local_model(settings_for(model_cache)) == model
    assert time.perf_counter() - started < 0.5, "a verified file should not be re-hashed"
    assert model.stat().st_mtime_ns == mtime


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "zeroed"])
def test_ensure_local_model_reassembles_a_bad_file(tmp_path: Path, damage: str) -> None:
    model = tmp_path / MODEL_FILENAME
    with model.open("wb") as f:
        if damage == "truncated":
            f.write(b"GGUF" + os.urandom(1 << 20))
        else:
            f.truncate(MODEL_SIZE)  # right size, wrong content
    (tmp_path / f"{MODEL_FILENAME}.1234.tmp.part").write_bytes(b"left by a killed process")
    assert ensure_local_model(settings_for(tmp_path)) == model
    assert model.stat().st_size == MODEL_SIZE
    assert sha256_of(model) == MODEL_SHA256
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.slow
def test_two_processes_assembling_at_once_both_succeed(tmp_path: Path) -> None:
    code = (
        "import sys; from tutor.config import Settings; from tutor.llm import ensure_local_model;"
        "print(ensure_local_model(Settings(model_cache=sys.argv[1])))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs == [str(tmp_path / MODEL_FILENAME)] * 2
    assert sha256_of(tmp_path / MODEL_FILENAME) == MODEL_SHA256
    assert not list(tmp_path.glob("*.part"))


# --------------------------------------------------------------------------- local backend


@pytest.mark.slow
def test_local_backend_stops_an_answer_that_repeats_itself(model_cache: Path) -> None:
    """Looping, the model would write to its token limit (seconds of text the checks throw
    away); it is stopped at the loop's third turn, in a call and in a stream alike."""
    model = make_chat_model(settings_for(model_cache, llm_max_answer_tokens=150), "local")
    looping = "Write the sentence 'I like tea.' 300 times."
    assert 3 <= model.invoke(looping).text.count("I like tea.") < 12  # 150 tokens hold over 30
    assert 3 <= "".join(c.text for c in model.stream(looping)).count("I like tea.") < 12
    assert "1, 2, 3, 4, 5, 6, 7, 8, 9, 10" in model.invoke("Count from 1 to 10, separated by commas.").text  # no loop, no stop


def test_a_loop_is_its_last_run_of_tokens_come_back_a_third_time() -> None:
    assert repeats_itself([7, 8, 9, 10] * 6, span=16) and not repeats_itself([7, 8, 9, 10] * 5, span=16)
    assert repeats_itself(list(range(20)) * 2 + list(range(16)), span=16)
    assert not repeats_itself(list(range(20)) * 2 + list(range(15)), span=16), "the last run came twice"
    assert not repeats_itself(list(range(100))) and not repeats_itself([])


@pytest.mark.slow
def test_local_backend_answers_and_streams(model_cache: Path) -> None:
    model = make_chat_model(settings_for(model_cache, llm_max_answer_tokens=48), "local")
    assert isinstance(model, LlamaCppChat)
    assert "paris" in model.invoke(QUESTION).text.lower()

    started = time.perf_counter()
    chunks = [c.text for c in model.stream("Count from 1 to 30, separated by commas.")]
    elapsed = time.perf_counter() - started
    tokens = [c for c in chunks if c]
    assert len(tokens) > 10
    assert "1, 2, 3" in "".join(tokens)
    print(f"local model: {len(tokens)} tokens in {elapsed:.1f}s = {len(tokens) / elapsed:.1f} tokens/s")

    assert "paris" in "".join(stream_through_langgraph(model, QUESTION)).lower()


@pytest.mark.slow
def test_local_backend_without_streaming_reports_usage(model_cache: Path) -> None:
    settings = settings_for(model_cache, llm_max_answer_tokens=16)
    reply = make_chat_model(settings, "local", streaming=False).invoke(QUESTION)
    assert "paris" in reply.text.lower()
    assert reply.usage_metadata and reply.usage_metadata["output_tokens"] > 0


# --------------------------------------------------------------------------- openai backend


@pytest.fixture(scope="module")
def openai_server(model_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    """llama-cpp-python's own OpenAI-compatible server on loopback; always stopped."""
    port = free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model_cache / MODEL_FILENAME),
         "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2",
         "--interrupt_requests", "False"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, f"server exited, see {log.name}"
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"server not ready in 120 s, see {log.name}"
                time.sleep(0.5)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.mark.slow
def test_openai_backend_answers_and_streams(model_cache: Path, openai_server: str) -> None:
    settings = settings_for(model_cache, openai_base_url=openai_server, llm_max_answer_tokens=48)
    model = make_chat_model(settings, "openai")
    assert "paris" in model.invoke(QUESTION).text.lower()

    chunks = [c.text for c in model.stream("Count from 1 to 10, separated by commas.")]
    assert len([c for c in chunks if c]) > 5
    assert "1, 2, 3" in "".join(chunks)
