"""A chat assistant grounded in a source corpus.

Every answer is made of cited excerpts that point to exact characters of the
source documents; when the corpus does not answer, the assistant says so.

Public API::

    from assistant import Assistant, get_settings
    bot = Assistant.from_settings(get_settings())
    answer = bot.ask("Where were the talks held?")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Assistant", "AssistantError", "Settings", "get_settings"]

if TYPE_CHECKING:
    from assistant.errors import AssistantError
    from assistant.pipeline import Assistant
    from assistant.settings import Settings, get_settings


def __getattr__(name: str) -> Any:
    # Lazy re-exports keep `import assistant` instant (no torch, no faiss).
    if name == "Assistant":
        from assistant.pipeline import Assistant

        return Assistant
    if name == "AssistantError":
        from assistant.errors import AssistantError

        return AssistantError
    if name in ("Settings", "get_settings"):
        from assistant import settings

        return getattr(settings, name)
    raise AttributeError(name)
