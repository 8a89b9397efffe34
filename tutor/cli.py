"""`tutor`: the command line for advisors and admins. A thin face over `tutor.service`.

Start-up matters here (advisors run one command at a time): only typer and rich are imported
up front; every command imports the service it needs, so `tutor learner list` never loads torch.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from tutor.config import get_settings

app = typer.Typer(
    help="Institute Tutor: grounded, cited answers over the institute's published content.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="Import scraped pages and inspect the corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
console = Console(stderr=True, soft_wrap=True)  # never wrap file names mid-word

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def print_json(payload: object) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Expected failures become one clear line on stderr and exit code 1, never a trace."""
    from tutor.accounts import AccountError
    from tutor.corpus import CorpusError
    from tutor.index import IndexBusy, IndexDamaged, IndexMissing
    from tutor.learners import LearnerStoreUnavailable
    from tutor.retrieval import SearchUnavailable

    expected = (IndexMissing, IndexDamaged, IndexBusy, SearchUnavailable, LearnerStoreUnavailable, CorpusError, AccountError)
    try:
        yield
    except (*expected, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]: nothing was changed that is not complete.")
        raise typer.Exit(130) from None


def report_problems(problems: list, strict: bool) -> None:
    """Skipped files are named on stderr; with --strict they make the command fail."""
    for problem in problems:
        console.print(f"[yellow]skipped[/yellow] {problem}", highlight=False)
    if problems and strict:
        console.print(f"[red]{len(problems)} file(s) skipped and --strict is set[/red]")
        raise typer.Exit(2)


# ---------------------------------------------------------------- corpus


@corpus_app.command("import")
def corpus_import(
    pages: Annotated[
        list[Path],
        typer.Argument(
            help="Saved web pages (.html), PDF brochures (.pdf), Markdown (.md, front matter optional) "
            "or scraped text pages (.txt, split into their articles)."
        ),
    ],
    kind: Annotated[
        str | None, typer.Option(help="Import HTML, PDF and Markdown files as 'article' or 'course' (default: their front matter's kind, else article).")
    ] = None,
    as_json: JsonFlag = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero when any file is skipped.")] = False,
) -> None:
    """Add files to the corpus (one Markdown file per document); then run `tutor index`."""
    if kind not in (None, "article", "course"):
        console.print(f"[red]--kind must be 'article' or 'course', not {kind!r}[/red]")
        raise typer.Exit(2)
    with friendly_errors():
        report = admin_service().import_files(pages, kind)
    if as_json:
        print_json(
            {
                "pages_added": report.pages_added,
                "documents_added": report.documents_added,
                "written": report.written,
                "unchanged": report.unchanged,
                "removed": report.removed,
                "held": report.held,
                "problems": [{"file": str(p.path), "error": p.message} for p in report.problems],
            }
        )
    else:
        console.print(
            f"pages added: {len(report.pages_added)}  documents added: {len(report.documents_added)}  articles written: {len(report.written)}  "
            f"unchanged: {len(report.unchanged)}  removed: {len(report.removed)}"
        )
    for held in report.held:
        console.print(f"[yellow]held for review[/yellow] {held} — see `tutor corpus held`", highlight=False)
    report_problems(report.problems, strict)


@corpus_app.command("held")
def corpus_held(as_json: JsonFlag = False) -> None:
    """Documents an import held back because they contain text aimed at the assistant
    (e.g. "ignore previous instructions", requests for passwords); they are not indexed."""
    held = admin_service().held()
    if as_json:
        print_json(held)
        return
    if not held:
        console.print("No document is held for review.")
    for item in held:
        console.print(f"[bold]{item['id']}[/bold] ({item['title']})", highlight=False)
        for reason in item["reasons"]:
            console.print(f"  - {reason}", highlight=False)


@corpus_app.command("release")
def corpus_release(document_id: str) -> None:
    """Let a held document into the corpus after reading it (then run `tutor index`)."""
    with friendly_errors():
        target = admin_service().release(document_id)
    console.print(f"released {document_id} to {target}; run `tutor index` to make it searchable")


@corpus_app.command("list")
def corpus_list(as_json: JsonFlag = False) -> None:
    """List the corpus documents (articles and courses)."""
    from tutor.corpus import load_documents

    documents, problems = load_documents(get_settings().corpus_dir)
    rows = [{"id": d.id, "kind": d.kind, "title": d.title, "date": d.date, "path": str(d.path)} for d in documents]
    if as_json:
        print_json(rows)
    else:
        table = Table("id", "kind", "date", "title")
        for row in rows:
            table.add_row(row["id"], row["kind"], row["date"] or "", row["title"])
        Console().print(table)
    report_problems(problems, strict=False)


# ---------------------------------------------------------------- index and search


@app.command("index")
def index_command(
    rebuild: Annotated[bool, typer.Option(help="Re-embed everything instead of only what changed.")] = False,
    as_json: JsonFlag = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero when any corpus file is skipped.")] = False,
) -> None:
    """Build or update the search index from corpus/ (incremental; swaps in atomically)."""
    from tutor.service.admin import describe_reindex

    with friendly_errors(), index_progress() as progress:
        summary = admin_service().reindex(rebuild=rebuild, progress=progress)
    if as_json:
        print_json(summary.to_dict())
    else:
        console.print(describe_reindex(summary), highlight=False)
    report_problems(summary.problems, strict)


def admin_service():
    """The admin work the page's Admin tab does too."""
    from tutor.service.admin import AdminService

    return AdminService(get_settings())


@contextmanager
def index_progress() -> Iterator:
    """A rich progress bar fed by build_index's (stage, done, total) callback."""
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


# Nothing listening fails at once; an app that is up but busy (answering someone on 2 cores)
# may take over 0.5 s to say so, and is still much faster than loading the models here.
APP_PROBE_TIMEOUT_S = 2.0


def running_app(settings) -> str | None:
    """The URL of a tutor app that is up and serves this same index generation, if any: it has
    the models loaded, so asking it takes milliseconds instead of seconds of imports."""
    import json
    import urllib.request

    url = f"http://{settings.host}:{settings.port}"
    try:
        live = settings.index_pointer.read_text(encoding="utf-8").strip()  # tutor.index is heavy to import
        with urllib.request.urlopen(f"{url}/health", timeout=APP_PROBE_TIMEOUT_S) as response:
            health = json.load(response)
    except (OSError, ValueError):
        return None
    return url if (health.get("index") or {}).get("generation") == live else None


def app_json(url: str, path: str, **params) -> object:
    """GET one of the app's `/api/` routes; its JSON."""
    import json
    import urllib.parse
    import urllib.request

    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    with urllib.request.urlopen(f"{url}{path}?{query}", timeout=120) as response:
        return json.load(response)


@app.command("topics")
def topics_command(as_json: JsonFlag = False) -> None:
    """The topics derived from the live index: label, documents, related topics, suggested questions.

    Rename, merge or hide topics in corpus/topics.yaml (rename: {id: label}, merge: {id: into-id},
    hide: [id]); the next `tutor index` applies it."""
    with friendly_errors():
        topic_map = admin_service().topics()
    if as_json:
        print_json([topic.to_dict() for topic in topic_map.topics])
        return
    table = Table("id", "label", "documents", "related", "suggested questions")
    for topic in topic_map.topics:
        table.add_row(topic.id, topic.label + (" (hidden)" if topic.hidden else ""), "\n".join(topic.documents), ", ".join(topic.related), "\n".join(topic.suggestions))
    Console().print(table)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", help="How many results.", min=1, max=50)] = 5,
    kind: Annotated[str | None, typer.Option(help="Only this kind: article or course.")] = None,
    doc: Annotated[str | None, typer.Option(help="Only chunks of this document id.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Hybrid search (dense + BM25, fused) over the index, best first (asks a running app when one is up)."""
    settings = get_settings()
    with friendly_errors():
        if url := running_app(settings):
            hits = app_json(url, "/api/search", q=query, k=k, kind=kind, doc=doc)
        else:
            from tutor.service.search import SearchService

            hits = SearchService(settings).search(query, k=k, kind=kind, doc=doc)
    if as_json:
        print_json(hits)
        return
    out = Console()
    for hit in hits:
        out.print(f"[bold]{hit['rank']}. {hit['title']}[/bold] › {hit['section'] or '(intro)'}  [dim]{hit['chunk_id']}  {hit['score']:.4f}[/dim]")
        out.print(f"   {hit['text'][:300].replace(chr(10), ' ')}{'…' if len(hit['text']) > 300 else ''}", highlight=False)


# ---------------------------------------------------------------- asking (advisors)

LlmOption = Annotated[
    str | None, typer.Option("--llm", help="Chat model: local (bundled GGUF), openai (TUTOR_OPENAI_*), extractive (no LLM).")
]
LearnerOption = Annotated[str | None, typer.Option("--learner", help="Learner id: records topics and history.")]


def open_service(llm: str | None):
    """The same service the web page uses."""
    from tutor.service import TutorService

    if llm not in (None, "local", "openai", "extractive"):
        raise ValueError(f"unknown --llm {llm!r}: choose local, openai or extractive")
    return TutorService(get_settings(), llm=llm)


def print_answer_footer(answer, out: Console) -> None:
    """Sources, suggestions and timings after a streamed answer."""
    if answer.notice:
        out.print(f"[yellow]{answer.notice}[/yellow]")
    for c in answer.citations:
        out.print(f"  [bold][{c.n}][/bold] {c.title} › {c.section or '(intro)'}  [dim]{c.chunk_id}[/dim]", highlight=False)
    if answer.hint:
        out.print(f"[cyan]{answer.hint}[/cyan]")
    if answer.suggestions and answer.route == "answer":
        out.print("[bold]You could ask next:[/bold]")
        for s in answer.suggestions:
            out.print(f"  • {s}", highlight=False)
    t = answer.timings
    out.print(
        f"[dim]route={answer.route} llm={answer.llm} first token {t['first_token_s']:.2f}s, "
        f"retrieve {t['retrieve_s']:.2f}s, generate {t['generate_s']:.2f}s, total {t['total_s']:.2f}s[/dim]"
    )


def stream_to_terminal(service, question: str, learner: str | None, conversation=None):
    """Show the answer as it is written; returns the final answer. When the checks change a
    draft (a reset), the text is rewritten in place, so the terminal is left showing the final
    answer only, as the page is; piped output gets the final answer once."""
    from tutor.service.events import Final, Reset, Token

    out = Console(highlight=False)
    shown, final = Text(), None
    with Live(shown, console=out, auto_refresh=False, vertical_overflow="visible") as live:
        for event in service.stream(question, learner=learner, conversation=conversation):
            if isinstance(event, Token):
                shown.append(event.text)
            elif isinstance(event, Reset):
                shown = Text()
            elif isinstance(event, Final):
                final = event.answer
                shown = Text(final.answer)  # the tokens since the last reset, or a reply never streamed
            live.update(shown, refresh=True)
    out.print()
    print_answer_footer(final, out)
    return final


@app.command("ask")
def ask_command(
    question: Annotated[str, typer.Argument(help="The student's question.")],
    learner: LearnerOption = None,
    llm: LlmOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer one question with citations (streams; --json prints the contract object).

    Anonymous extractive questions go to a running app when one is up (no models to load)."""
    with friendly_errors():
        url = running_app(get_settings()) if llm == "extractive" and not learner else None
        if url:
            from tutor.service.events import TutorAnswer

            answer = TutorAnswer.from_dict(app_json(url, "/api/ask", q=question))
            if as_json:
                print_json(answer.to_dict())
            else:
                out = Console(highlight=False)
                out.print(answer.answer, markup=False)
                print_answer_footer(answer, out)
            return
        service = open_service(llm)
        if as_json:
            print_json(service.ask(question, learner=learner).to_dict())
        else:
            stream_to_terminal(service, question, learner)


@app.command("chat")
def chat_command(learner: LearnerOption = None, llm: LlmOption = None) -> None:
    """Interactive session with history. Commands: /level beginner|intermediate|advanced, /quit."""
    from tutor.service.learner import ConversationThread

    with friendly_errors():
        service = open_service(llm)
        conversation = ConversationThread()
        console.print("Ask about the institute's programmes, careers and services. /quit to leave.")
        while True:
            try:
                question = Console().input("[bold green]you>[/bold green] ").strip()
            except EOFError:
                break
            if question in ("/quit", "/exit"):
                break
            if question.startswith("/level"):
                if not learner:
                    console.print("set --learner to keep a level")
                    continue
                service.learners.set_level(learner, question.removeprefix("/level").strip())
                console.print("level saved")
                continue
            if question:
                stream_to_terminal(service, question, learner, conversation)


@app.command("eval")
def eval_command(
    questions: Annotated[Path, typer.Option("--questions", help="Golden set (JSON Lines).", exists=True, dir_okay=False)],
    llm: LlmOption = None,
    as_json: JsonFlag = False,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the full JSON report here.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
) -> None:
    """Run a golden set through the agent; report retrieval, accuracy, refusals, citations, latency."""
    from tutor.evaluation import load_golden, run_eval

    with friendly_errors():
        items = load_golden(questions)[:limit]
        service = open_service(llm)
        with index_progress() as progress:
            report = run_eval(service, items, progress=lambda done, total: progress("questions", done, total))
    if out:
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        print_json(report)
        return
    table = Table("metric", "value", title=f"{len(items)} questions, llm={service.llm_name}")
    for key, value in report["summary"].items():
        table.add_row(key, str(value))
    Console().print(table)


# ---------------------------------------------------------------- learners and feedback

learner_app = typer.Typer(help="Learner profiles: list, show, set level, forget.", no_args_is_help=True)
app.add_typer(learner_app, name="learner")
feedback_app = typer.Typer(help="Students' thumbs up/down on answers.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


def learner_service():
    from tutor.service.learner import LearnerService

    return LearnerService(get_settings())


@learner_app.command("list")
def learner_list(as_json: JsonFlag = False) -> None:
    """Every learner with their number of turns and level."""
    rows = learner_service().learners()
    if as_json:
        print_json(rows)
        return
    table = Table("id", "turns", "level", "last seen")
    for row in rows:
        table.add_row(str(row["id"]), str(row["turns"]), str(row["level"]), str(row.get("last_seen") or ""))
    Console().print(table)


@learner_app.command("show")
def learner_show(learner_id: str, as_json: JsonFlag = False) -> None:
    """A learner's profile, topics and recent questions."""
    with friendly_errors():
        learners = learner_service()
        profile = learners.profile(learner_id)
        turns = learners.history(learner_id, limit=20)
        progress = quiz_progress(learner_id)
    payload = {**profile.__dict__, "history": [{"question": t.question, "route": t.route, "topics": t.topics} for t in turns]}
    payload |= {"mastery": progress["topics"], "due": progress["due"]}
    if as_json:
        print_json(payload)
        return
    out = Console()
    out.print(f"[bold]{profile.id}[/bold]  level {profile.level} ({profile.level_source}), {profile.turns} turns")
    for topic, info in sorted(profile.topics.items(), key=lambda kv: -kv[1]["count"]):
        out.print(f"  {topic}: {info['count']}")
    for turn in turns:
        out.print(f"  - {turn.question}", highlight=False)
    print_progress(progress, out)


@learner_app.command("level")
def learner_level(learner_id: str, level: str) -> None:
    """Set a learner's level: beginner, intermediate or advanced."""
    with friendly_errors():
        learner_service().set_level(learner_id, level)
    console.print(f"{learner_id}: level set to {level}")


@learner_app.command("forget")
def learner_forget(learner_id: str, as_json: JsonFlag = False) -> None:
    """Delete everything a learner did (history, topics, feedback) and end their sessions; their
    account stays until an admin disables it (`tutor users disable`)."""
    with friendly_errors():
        removed = learner_service().forget(learner_id)
    if as_json:
        print_json({"learner": learner_id, "removed": removed})
    else:
        console.print(f"forgot {learner_id}: {removed} records deleted")


@feedback_app.command("list")
def feedback_list(
    as_json: JsonFlag = False, limit: Annotated[int, typer.Option(help="Most recent N.")] = 100
) -> None:
    """Feedback with the question, answer and sources it was given on."""
    rows = learner_service().feedback(limit=limit)
    if as_json:
        print_json(rows)
        return
    out = Console()
    for row in rows:
        mark = "[green]👍[/green]" if row["rating"] > 0 else "[red]👎[/red]"
        out.print(f"{mark} [bold]{row['learner_id']}[/bold]: {row['question']}", highlight=False)
        out.print(f"   {row['answer'][:200]}", highlight=False)
        if row.get("comment"):
            out.print(f"   [italic]{row['comment']}[/italic]", highlight=False)


# ---------------------------------------------------------------- accounts

users_app = typer.Typer(
    help="Accounts: learners and admins sign in with a password, stored only as an argon2 hash. "
    "Every change is written to the audit log (`tutor users audit`).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")
GenerateFlag = Annotated[
    bool, typer.Option("--generate", help="Make up a random password and print it once, instead of asking for one.")
]


def account_service():
    from tutor.accounts import open_accounts

    return open_accounts(get_settings())


def cli_actor() -> str:
    """Who acts, for the audit log: the operating-system user at the command line."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def new_password(name: str, generate: bool) -> tuple[str, bool]:
    """(password, was generated): asked twice with hidden input, or generated."""
    from tutor.accounts import generate_password

    if generate:
        return generate_password(), True
    return typer.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True), False


def show_password_once(name: str, password: str) -> None:
    """The one time a generated password is shown; it is stored only as a hash."""
    Console(highlight=False).print(f"password for {name}: {password}")
    console.print("Shown once: hand it over now; it cannot be displayed again (`tutor users reset` makes a new one).")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Account name; it is also the learner id (letters, digits, spaces, . _ - @).")],
    role: Annotated[str, typer.Option(help="learner (asks the tutor) or admin (also uploads and re-indexes on the page).")] = "learner",
    generate: GenerateFlag = False,
) -> None:
    """Create an account. Asks for its password (hidden, twice) unless --generate."""
    with friendly_errors():
        service = account_service()
        password, generated = new_password(name, generate)
        service.add(name, password, role, actor=cli_actor())
    console.print(f"added {role} account {name}")
    if generated:
        show_password_once(name, password)


@users_app.command("import")
def users_import(
    file: Annotated[Path, typer.Argument(help="CSV with lines name,password[,role]; an optional header line name,password,role.", exists=True, dir_okay=False)],
    as_json: JsonFlag = False,
) -> None:
    """Create accounts from a CSV file (name,password[,role]); passwords are hashed.

    Names already taken are left alone and bad lines are reported by number (exit code 2), so
    fix the file and run it again. Delete the file afterwards: it holds passwords in plain text.
    """
    with friendly_errors():
        report = account_service().import_csv(file.read_text(encoding="utf-8-sig"), actor=cli_actor())
    if as_json:
        print_json({"added": report.added, "existing": report.existing,
                    "problems": [{"line": line, "error": error} for line, error in report.problems]})
    else:
        console.print(f"added {len(report.added)}, already there {len(report.existing)}, bad lines {len(report.problems)}")
        for line, error in report.problems:
            console.print(f"[yellow]line {line}[/yellow]: {error}", highlight=False)
        console.print(f"Now delete {file}: it holds passwords in plain text.")
    if report.problems:
        raise typer.Exit(2)


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """Every account with its role, whether it is disabled, and its last sign-in."""
    with friendly_errors():
        rows = account_service().list_accounts()
    if as_json:
        print_json(rows)
        return
    table = Table("name", "role", "disabled", "last sign-in")
    for row in rows:
        table.add_row(row["name"], row["role"], "yes" if row["disabled"] else "", str(row["last_sign_in"] or "never"))
    Console().print(table)


@users_app.command("reset")
def users_reset(name: str, generate: GenerateFlag = False) -> None:
    """Give an account a new password: its sessions end and any sign-in lock-out is lifted."""
    with friendly_errors():
        service = account_service()
        service.existing(name, "reset_password", cli_actor(), "local")
        password, generated = new_password(name, generate)
        service.reset(name, password, actor=cli_actor())
    console.print(f"new password set for {name}; their sessions have ended")
    if generated:
        show_password_once(name, password)


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Stop an account from signing in; its sessions end at once. Its learning data stays."""
    with friendly_errors():
        account_service().set_disabled(name, True, actor=cli_actor())
    console.print(f"disabled {name}")


@users_app.command("enable")
def users_enable(name: str) -> None:
    """Let a disabled account sign in again."""
    with friendly_errors():
        account_service().set_disabled(name, False, actor=cli_actor())
    console.print(f"enabled {name}")


@users_app.command("audit")
def users_audit(as_json: JsonFlag = False, limit: Annotated[int, typer.Option(help="Most recent N.")] = 100) -> None:
    """Sign-ins and admin actions, newest first: who, what, when, from where, outcome."""
    with friendly_errors():
        rows = account_service().audit_log(limit)
    if as_json:
        print_json(rows)
        return
    from datetime import datetime

    table = Table("when", "who", "action", "target", "outcome", "from")
    for row in rows:
        when = datetime.fromtimestamp(row["at"]).isoformat(sep=" ", timespec="seconds")
        table.add_row(when, row["actor"], row["action"], row["target"], row["outcome"], row["address"])
    Console().print(table)


@users_app.command("bootstrap")
def users_bootstrap() -> None:
    """Create the first admin account when there is no admin (`make run` calls this).

    Its name is TUTOR_FIRST_ADMIN_NAME (admin) and its password TUTOR_ADMIN_PASSWORD, or a random
    one printed here once. Legacy TUTOR_AUTH_USERS pairs become hashed learner accounts.
    """
    settings = get_settings()
    with friendly_errors():
        generated = account_service().bootstrap()
    if generated:
        console.print(f"First admin account created: {settings.first_admin_name}")
        show_password_once(settings.first_admin_name, generated)


# ---------------------------------------------------------------- model


model_app = typer.Typer(help="The bundled local LLM.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("prepare")
def model_prepare() -> None:
    """Assemble and verify the bundled GGUF once (about 1.1 GB), so the first answer is fast."""
    from tutor.llm import ModelUnavailable, ensure_local_model

    console.print("checking the local model (assembles it the first time)…")
    try:
        path = ensure_local_model(get_settings())
    except ModelUnavailable as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"model ready: {path}")


# ---------------------------------------------------------------- quizzes, progress, review (tutor/learning)

quiz_app = typer.Typer(
    help="Check understanding: one question at a time, graded at once, mastery and review tracked.",
    invoke_without_command=True,
)
app.add_typer(quiz_app, name="quiz")
TopicOption = Annotated[str | None, typer.Option("--topic", help="Only this topic id.")]


def quiz_progress(learner_id: str) -> dict:
    """Mastery per topic and due reviews; topic labels come from the live bank when there is one."""
    from tutor.service.quizzes import Quizzes

    return Quizzes(get_settings()).progress(learner_id)


def print_progress(progress: dict, out: Console) -> None:
    practised = [t for t in progress["topics"] if t["attempts"]]
    if practised:
        out.print("[bold]mastery[/bold] (quizzes)")
    for t in practised:
        state = "mastered" if t["mastered"] else "decaying" if t["decaying"] else ""
        out.print(f"  {t['label']}: {t['mastery']:.0%} ({t['correct']}/{t['attempts']} right) {state}", highlight=False)
    if progress["due"]:
        out.print(f"[bold]due for review[/bold]: {len(progress['due'])}")
    for review in progress["due"]:
        out.print(f"  {review['kind']} {review['question'] or review['label']}", highlight=False)


@quiz_app.callback()
def quiz_command(
    ctx: typer.Context,
    learner: Annotated[str, typer.Option("--learner", help="Learner id: attempts and mastery are recorded for it.")] = "guest",
    topic: TopicOption = None,
) -> None:
    """Interactive quiz: answer with the choice's letter or text, or type a short answer; /quit to stop."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.markup import escape

    from tutor.service.quizzes import Quizzes

    with friendly_errors():
        settings = get_settings()
        service = Quizzes(settings)
        if not service.topics():
            raise ValueError("the live index has no question bank yet: run `tutor quiz build`")
        out = Console(highlight=False)
        while (item := service.next_item(learner, topic)) is not None:
            out.print(f"\n[bold]{escape(service.label(item.topic))}[/bold]  {escape(item.question)}")
            for letter, choice in zip("ABCDEFGH", item.choices):
                out.print(f"  {letter}) {choice}", markup=False)
            try:
                response = Console().input("[bold green]answer>[/bold green] ").strip()
            except EOFError:
                break
            if response in ("/quit", "/exit"):
                break
            feedback = service.answer(learner, item.id, response)
            out.print(("[green]" if feedback.correct else "[red]") + "●[/] " + escape(feedback.message))
            out.print(f"[dim]mastery of this topic {feedback.mastery_before:.0%} → {feedback.mastery:.0%}[/dim]")


@quiz_app.command("bank")
def quiz_bank(topic: TopicOption = None, as_json: JsonFlag = False) -> None:
    """The live index's question bank (--json: the contract of DESIGN.md); built first if missing."""
    from tutor.service.quizzes import Quizzes

    with friendly_errors():
        settings = get_settings()
        quizzes = Quizzes(settings)
        if not quizzes.has_bank():
            console.print("no question bank for the live index yet: building it (no LLM)…")
        items = quizzes.bank(topic)
    if as_json:
        print_json([item.contract() for item in items])
        return
    table = Table("id", "topic", "kind", "question", "answer")
    for item in items:
        table.add_row(item.id, item.topic, item.kind, item.question, item.answer)
    Console().print(table)


@quiz_app.command("build")
def quiz_build(
    llm: Annotated[str, typer.Option("--llm", help="Also ask a chat model (local, openai) for questions; none: cloze only.")] = "none",
    llm_chunks: Annotated[int | None, typer.Option(help="Ask the chat model about at most N chunks this run (resumable).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Complete the live index's question bank, e.g. with a chat model on demand (`tutor index`
    builds every generation's bank already); items of unchanged chunks are kept."""
    from tutor.service.quizzes import Quizzes

    with friendly_errors(), index_progress() as progress:
        settings = get_settings()
        report = Quizzes(settings).build(None if llm == "none" else llm, llm_chunks, progress)
    if as_json:
        print_json(report.summary())
    else:
        facts = report.summary()
        console.print(
            f"{facts['items']} items ({facts['reused']} kept, {facts['kept']} new of {facts['generated']} generated) "
            f"over {len(facts['topics'])} topics"
        )


# ---------------------------------------------------------------- content gaps

report_app = typer.Typer(help="Reports for advisors (learners stay anonymous).", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("gaps")
def report_gaps(
    since: Annotated[str | None, typer.Option("--since", help="Only turns from this date on (YYYY-MM-DD).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Declined questions, answers without support and thumbs-down, clustered by meaning."""
    from tutor.learning.gaps import gap_report, parse_since

    with friendly_errors():
        clusters = gap_report(get_settings(), parse_since(since))
    if as_json:
        print_json(clusters)
        return
    out = Console(highlight=False)
    for cluster in clusters:
        out.print(f"[bold]{cluster['size']}[/bold] × {', '.join(sorted(cluster['reasons']))}")
        for example in cluster["examples"]:
            out.print(f"   - {example}", markup=False)
        if cluster["nearest_documents"]:
            out.print(f"   [dim]nearest: {', '.join(d['title'] for d in cluster['nearest_documents'])}[/dim]")
    if not clusters:
        out.print("no declined, unsupported or disliked answers")


if __name__ == "__main__":
    app()
