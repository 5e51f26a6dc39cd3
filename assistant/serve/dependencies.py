"""FastAPI dependencies shared by the routers: the assistant loaded in the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.pipeline import Assistant


def get_assistant(request: Request) -> Assistant:
    """The assistant loaded in the lifespan."""
    assistant: Assistant = request.app.state.assistant
    return assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
