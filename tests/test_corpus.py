"""Pages -> articles: de-duplication, boilerplate, idempotence, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tutor.corpus import import_files, load_documents, read_text_file
from tutor.corpus.pages import BULLET, FOOTER_START, is_heading, paragraph_key

from .conftest import CORPUS, SEEDS

BOILERPLATE = ["Skip to content", "Read the article", "Back To Top", "Have questions?", "+39 335 576 0263", "hello@opit.com"]


def seed_pages() -> list[Path]:
    pages = sorted(SEEDS.glob("*.txt")) or sorted((CORPUS / "pages").glob("*.txt"))
    assert pages, "no seed pages found"
    return pages


def article_texts(corpus_dir: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((corpus_dir / "articles").glob("*.md"))}


def content_paragraphs(page: Path) -> list[str]:
    """Every long line of a page before its contact footer: the text that must survive import."""
    keys = []
    for line in read_text_file(page).split("\n"):
        if line.strip().lower() == FOOTER_START:
            break
        key = paragraph_key(line)
        if len(key) >= 60:
            keys.append(key)
    return keys


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus_dir = tmp_path_factory.mktemp("imported") / "corpus"
    report = import_files(seed_pages(), corpus_dir)
    assert not report.problems
    return corpus_dir


def test_every_unique_article_appears_exactly_once(imported: Path) -> None:
    articles = article_texts(imported)
    article_keys = {name: {paragraph_key(l) for l in text.split("\n")} for name, text in articles.items()}
    for page in seed_pages():
        for key in content_paragraphs(page):
            holders = [name for name, keys in article_keys.items() if key in keys]
            assert len(holders) == 1, f"{page.name}: paragraph in {holders}: {key[:80]}"


def test_repeated_main_article_is_merged_with_all_its_origins(imported: Path) -> None:
    documents, _ = load_documents(imported)
    by_title = {d.title: d for d in documents}
    main = next(d for d in documents if "What Does a Machine Learning Engineer Do" in d.text)
    assert len(main.meta["origin_pages"]) == 3
    raconteur = next(d for t, d in by_title.items() if t.startswith("Raconteur"))
    # page 003 repeats this article without its title or date: still recognised as the same one
    assert any(p.startswith("003_") for p in raconteur.meta["origin_pages"])
    assert raconteur.date == "2025-11-18" and raconteur.meta["author"] == "Duncan Jefferies"


def test_boilerplate_is_stripped(imported: Path) -> None:
    for name, text in article_texts(imported).items():
        for phrase in BOILERPLATE:
            assert phrase not in text, f"{name} still holds {phrase!r}"
        assert "OPIT - Open Institute of Technology" not in text


def test_reimport_changes_nothing(imported: Path) -> None:
    before = article_texts(imported)
    report = import_files(seed_pages(), imported)
    assert report.pages_added == [] and report.written == [] and report.removed == []
    assert article_texts(imported) == before


def test_result_does_not_depend_on_page_order(tmp_path: Path, imported: Path) -> None:
    for page in reversed(seed_pages()):
        import_files([page], tmp_path / "corpus")
    assert article_texts(tmp_path / "corpus") == article_texts(imported)


def test_committed_corpus_is_what_import_produces(tmp_path: Path) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    report = import_files([], tmp_path / "corpus")
    assert report.written == [] and report.removed == [], "corpus/articles is stale: run `tutor corpus import`"


def test_bad_pages_are_reported_by_name_and_the_rest_imported(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("   \n")
    (bad / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (bad / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    report = import_files([*sorted(bad.iterdir()), seed_pages()[0]], tmp_path / "corpus")
    messages = {p.path.name: p.message for p in report.problems}
    assert set(messages) == {"empty.txt", "binary.txt", "latin1.txt"}
    assert "UTF-8" in messages["latin1.txt"] and "binary" in messages["binary.txt"]
    assert len(report.written) >= 1


def test_broken_corpus_files_are_skipped_and_named_and_missing_ids_derived(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "articles", corpus / "articles")
    good = len(list((corpus / "articles").glob("*.md")))
    (corpus / "articles" / "broken-yaml.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (corpus / "articles" / "no-front-matter.md").write_text("# Just a heading\ntext\n")
    (corpus / "articles" / "no-id.md").write_text("---\ntitle: T\n---\nbody\n")
    (corpus / "articles" / "binary.md").write_bytes(b"\x00\x01\x02")
    (corpus / "articles" / "empty.md").write_text("")
    documents, problems = load_documents(corpus)
    assert len(documents) == good + 2  # ids and titles are derived when the front matter omits them
    assert {p.path.name for p in problems} == {"broken-yaml.md", "binary.md", "empty.md"}
    derived = {d.id: d.title for d in documents if d.path.name in {"no-front-matter.md", "no-id.md"}}
    assert derived == {"no-front-matter": "Just a heading", "no-id": "T"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("What Does a Machine Learning Engineer Do?", True),
        ("OPIT – MSc in Applied Data Science & AI", True),
        ("MIT Professional Education Technology Leadership Program (TLP) ", True),
        ("First, your technical toolkit should include:", False),
        ("By Duncan Jefferies", False),
        ("  • Programming languages like Python or R", False),
        ("Nov 18, 2025 5 min read", False),
        ("This is a sentence. It ends with a period.", False),
    ],
)
def test_heading_detection(line: str, expected: bool) -> None:
    assert is_heading(line) is expected


def test_paragraph_key_ignores_bullets_case_and_spacing() -> None:
    assert paragraph_key("  • Career Coaching:  Students") == paragraph_key("- career coaching: students")
    assert BULLET.sub("", "  1. Internships.") == "Internships."


def test_markdown_articles_are_added_under_their_id_and_survive_page_imports(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    import_files(seed_pages()[:1], corpus)
    (tmp_path / "upload").mkdir()
    upload = tmp_path / "upload" / "..evil name; rm -rf.md"
    upload.write_text("---\nid: open-day\ntitle: Open Day\n---\nOPIT holds an open day online.\n")
    report = import_files([upload], corpus)
    assert report.documents_added == ["open-day"] and (corpus / "articles" / "open-day.md").exists()
    import_files(seed_pages()[1:], corpus)
    assert (corpus / "articles" / "open-day.md").exists(), "page imports never delete hand-added articles"


def test_hostile_markdown_is_rejected(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    bad_id = tmp_path / "a.md"
    bad_id.write_text("---\nid: ../../etc/passwd\ntitle: x\n---\nbody\n")
    huge = tmp_path / "huge.txt"
    huge.write_text("word " * 600_000)
    report = import_files([bad_id, huge], corpus)
    assert {p.path.name for p in report.problems} == {"a.md", "huge.txt"}
    assert "too large" in next(p.message for p in report.problems if p.path.name == "huge.txt")
    assert not list(tmp_path.rglob("passwd*"))
