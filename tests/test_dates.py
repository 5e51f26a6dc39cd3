from __future__ import annotations

import pytest

from assistant.answer.dates import resolve_relative_dates

PUBLISHED = "2026-02-09"  # a Monday


@pytest.mark.parametrize(
    ("phrase", "resolved"),
    [
        ("Friday", "2026-02-06"),
        ("on Sunday", "2026-02-08"),
        ("Monday", "2026-02-09"),
        ("last Monday", "2026-02-02"),
        ("next Friday", "2026-02-13"),
        ("yesterday", "2026-02-08"),
        ("this week", "2026-02-09/2026-02-15"),
        ("last week", "2026-02-02/2026-02-08"),
        ("last year", "2025"),
        ("last month", "2026-01"),
    ],
)
def test_relative_dates_resolve_against_publication(phrase: str, resolved: str) -> None:
    quote = f"Talks happened {phrase}."
    [found] = resolve_relative_dates(quote, PUBLISHED)
    assert found.resolved == resolved
    assert quote[found.start : found.end] == found.text
    assert found.derived_from == "publication date 2026-02-09"


def test_no_publication_date_resolves_nothing() -> None:
    assert resolve_relative_dates("on Friday", None) == []
    assert resolve_relative_dates("on Friday", "not a date") == []


def test_friday_label() -> None:
    [found] = resolve_relative_dates("ended in Oman on Friday", PUBLISHED)
    assert found.label == "Friday 6 February 2026"
