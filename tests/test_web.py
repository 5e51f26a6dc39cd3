"""The web page in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.corpus.ingest import load_corpus
from assistant.pipeline import Assistant
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import build_index
from tests.conftest import ROOT, make_settings, serve, write_corpus

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "reports" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            "chromium is not installed: run `make browser` (apt-get install chromium)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_ask_and_see_the_cited_span_highlighted(live_server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    external: list[str] = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(live_server) else None,
    )
    page.goto(live_server + "/")
    page.wait_for_selector("#documents button")
    page.fill("#question", "Where were the talks held?")
    page.keyboard.press("Enter")  # the keyboard alone can ask
    page.wait_for_selector(".turn-a .cite")
    answer = page.inner_text(".turn-a .answer-text")
    assert "Oman" in answer
    assert "confidence" in page.inner_text(".turn-a .confidence")
    api = httpx.post(
        f"{live_server}/v1/ask", json={"question": "Where were the talks held?"}, timeout=30
    ).json()
    first = api["citations"][0]
    # the reader's answer span is bold inside its quote
    span = first["quote"][first["highlight_start"] : first["highlight_end"]]
    assert page.inner_text(".turn-a .answer-text strong.answer-span >> nth=0") == span
    page.click(".turn-a .cite >> nth=0")
    page.wait_for_selector("mark#highlight")
    highlighted = page.inner_text("mark#highlight")
    assert highlighted == api["citations"][0]["quote"]
    assert page.evaluate(
        "() => { const r = document.getElementById('highlight').getBoundingClientRect();"
        " const box = document.getElementById('viewer-text').getBoundingClientRect();"
        " return r.top >= box.top - 1 && r.bottom <= box.bottom + 1; }"
    ), "the highlighted span is scrolled into view"
    # a follow-up continues the same conversation
    page.fill("#question", "How did the Iranian president describe them?")
    page.click("#send")
    page.wait_for_selector(".turn-a >> nth=1 >> .answer-text")
    assert "step forward" in page.inner_text(".turn-a >> nth=1")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web.png"), full_page=True)
    assert errors == [] and external == []


def test_abstention_shows_closest_passages_on_a_narrow_screen(
    live_server: str, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(live_server + "/")
    page.fill("#question", "What is the capital of Australia?")
    page.click("#send")
    page.wait_for_selector(".turn-a.abstain .closest li")
    assert "does not answer" in page.inner_text(".turn-a.abstain")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, "no horizontal scrolling on a phone-sized screen"
    page.screenshot(path=str(ARTIFACTS / "web-narrow.png"), full_page=True)


def test_conflicting_sources_show_a_warning(live_server: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(live_server + "/")
    page.fill("#question", "What does Netanyahu want Iran to do about its ballistic missiles?")
    page.click("#send")
    page.wait_for_selector(".turn-a .answer-text")
    warning = page.inner_text(".turn-a .warning")
    assert "disagree" in warning and "limit" in warning


def test_document_text_is_escaped(tmp_path: Path, browser: Any) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {"evil.html.txt": "Evil <script>window.pwned = 1</script> <b>bold</b> text about Oman."},
    )
    settings = make_settings(tmp_path, corpus=corpus)
    embedder = HashEmbedder()
    build_index(load_corpus(corpus), embedder, settings)
    with serve(Assistant.from_settings(settings, embedder)) as url:
        page = browser.new_page()
        page.goto(url + "/")
        page.click("#documents button")
        page.wait_for_selector("#viewer-text:has-text('Evil')")
        assert "<script>" in page.inner_text("#viewer-text")
        assert page.evaluate("() => window.pwned === undefined")
        assert page.query_selector("#viewer-text b") is None
