"""Dates: resolve relative day references in a quote against the document's publication date.

News text says "on Sunday", "Friday", "this week", "last year". When a document states
its publication date, each such reference is resolved and reported beside the quote,
marked as derived from the publication date; the quote itself is never changed.
Convention (news style): a weekday names the latest such day on or before publication,
so in an article of Monday 9 February 2026 "Friday" is 6 February 2026.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_RELATIVE_RE = re.compile(
    r"\b(?:(?:last|this|next)\s+(?:week|month|year|weekend)|yesterday|today|tomorrow|"
    r"(?:last|this|next)\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ResolvedDate:
    """A relative reference at `text[start:end]` of the quote and what it resolves to."""

    text: str
    start: int  # offsets into the quote
    end: int
    resolved: str  # ISO date, or an ISO range "YYYY-MM-DD/YYYY-MM-DD", or a year
    label: str  # human reading, e.g. "Friday 6 February 2026"
    derived_from: str  # e.g. "publication date 2026-02-09"


def _human(day: date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def _resolve(phrase: str, published: date) -> tuple[str, str] | None:
    words = phrase.lower().split()
    if words == ["today"]:
        return published.isoformat(), _human(published)
    if words == ["yesterday"]:
        day = published - timedelta(days=1)
        return day.isoformat(), _human(day)
    if words == ["tomorrow"]:
        day = published + timedelta(days=1)
        return day.isoformat(), _human(day)
    if words[-1] in _WEEKDAYS:
        target = _WEEKDAYS.index(words[-1])
        back = (published.weekday() - target) % 7
        day = published - timedelta(days=back)
        if words[0] == "next":
            day = published + timedelta(days=(target - published.weekday()) % 7 or 7)
        elif words[0] == "last" and back == 0:
            day = published - timedelta(days=7)
        return day.isoformat(), _human(day)
    which, unit = words[0], words[-1]
    shift = {"last": -1, "this": 0, "next": 1}[which]
    if unit == "year":
        year = published.year + shift
        return str(year), str(year)
    if unit in ("week", "weekend"):
        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=shift)
        if unit == "weekend":
            # "this weekend" in a Monday article is the weekend just gone
            start = (
                monday - timedelta(days=2)
                if shift == 0 and published.weekday() < 2
                else (monday + timedelta(days=5))
            )
            end = start + timedelta(days=1)
        else:
            start, end = monday, monday + timedelta(days=6)
        return f"{start.isoformat()}/{end.isoformat()}", (
            f"{start.day} {start.strftime('%B')} to {end.day} {end.strftime('%B %Y')}"
        )
    if unit == "month":
        month = (published.month - 1 + shift) % 12 + 1
        year = published.year + (published.month - 1 + shift) // 12
        first = date(year, month, 1)
        return f"{year:04d}-{month:02d}", first.strftime("%B %Y")
    return None


def resolve_relative_dates(quote: str, published: str | None) -> list[ResolvedDate]:
    """Every relative date reference of the quote, resolved against `published` (ISO)."""
    if not published:
        return []
    try:
        anchor = date.fromisoformat(published)
    except ValueError:
        return []
    out = []
    for match in _RELATIVE_RE.finditer(quote):
        resolved = _resolve(match.group(), anchor)
        if resolved:
            out.append(
                ResolvedDate(
                    text=match.group(),
                    start=match.start(),
                    end=match.end(),
                    resolved=resolved[0],
                    label=resolved[1],
                    derived_from=f"publication date {published}",
                )
            )
    return out
