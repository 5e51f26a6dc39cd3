"""HTTP front end: FastAPI app; the model and index are loaded once in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import AdminDisabledError, AssistantError
from assistant.pipeline import Assistant
from assistant.schemas import (
    ERROR_RESPONSES,
    AskRequest,
    AskResponse,
    DocumentIn,
    DocumentOut,
    DocumentSummary,
    Health,
    IndexChange,
    PartHealth,
)
from assistant.search.indexing import IndexDelta
from assistant.serve.chat_api import router as chat_router
from assistant.serve.dependencies import AssistantDep
from assistant.serve.security import install_guards
from assistant.settings import Settings, get_settings

if TYPE_CHECKING:
    from assistant.serve.slack_link import SlackLink

logger = logging.getLogger(__name__)
WEB_DIR = Path(__file__).with_name("web")


async def _follow_live_build(bot: Assistant, interval: float) -> None:
    """Every `interval` seconds, switch to a build made live by another process."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(bot.reload_if_changed)
        except Exception:  # never let the watcher die; the next tick tries again
            logger.exception("checking for a new live build failed")


def create_app(
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    slack_app: Any = None,
    slack_link: SlackLink | None = None,
) -> FastAPI:
    """The app; pass a ready `assistant` (tests) or let the lifespan load one from settings.

    Slack's HTTP mode is mounted at /slack/events when `slack_app` is given (tests), or
    through a `SlackLink` when SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set: the API
    serves whether or not Slack answers, and the bot comes on when it does.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = settings or get_settings()
        bot = assistant if assistant is not None else Assistant.from_settings(current)
        app.state.assistant = bot
        app.state.settings = current
        app.state.slack_handler = None
        app.state.slack_link = slack_link
        if slack_app is not None:
            from slack_bolt.adapter.starlette import SlackRequestHandler

            app.state.slack_handler = SlackRequestHandler(slack_app)
        elif slack_link is None and current.slack_signing_secret and current.slack_bot_token:
            from assistant.serve.slack_link import SlackLink

            app.state.slack_link = SlackLink(bot, current)
        if app.state.slack_link is not None and not app.state.slack_link.ok:
            app.state.slack_link.start()  # in the background: the API never waits on Slack
        watcher = None
        if current.reload_interval_s > 0:
            watcher = asyncio.create_task(_follow_live_build(bot, current.reload_interval_s))
        yield
        if watcher is not None:
            watcher.cancel()
        if app.state.slack_link is not None:
            app.state.slack_link.stop()

    app = FastAPI(
        title="Grounded assistant",
        version="0.1.0",
        description="Answers only from its corpus, with cited excerpts at exact offsets.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )

    @app.exception_handler(AssistantError)
    async def _assistant_error(_: Request, exc: AssistantError) -> JSONResponse:
        if exc.http_status >= 500:
            logger.error("%s: %s", type(exc).__name__, exc.message)
        return JSONResponse(
            status_code=exc.http_status,
            content={"error": type(exc).__name__, "message": exc.message},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "invalid request"
        if exc.status_code == 400 and "parsing the body" in detail:
            detail = "the body could not be read: send UTF-8 JSON"
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": "HTTPError", "message": detail},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        status = 422
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                status = 400
                problems.append("the body is not valid JSON")
                continue
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            if err.get("type") in ("string_too_short", "string_pattern_mismatch"):
                problems.append(f"{where} is empty: send a non-empty `{where}` string")
            else:
                problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(
            status_code=status,
            content={"error": "InvalidRequest", "message": "; ".join(problems)},
        )

    install_guards(app, settings or get_settings())
    app.include_router(chat_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        """The chat page."""
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    @app.post("/slack/events", include_in_schema=False)
    @app.post("/slack/interactivity", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """Slack's Events API and interactivity (signed requests only; Bolt checks)."""
        link = request.app.state.slack_link
        if link is not None and not link.ok:
            return JSONResponse(
                status_code=503,
                content={"error": "SlackUnavailable", "message": link.reason},
                headers={"Retry-After": "30"},
            )
        handler = link.handler if link is not None else request.app.state.slack_handler
        if handler is None:
            return JSONResponse(
                status_code=404,
                content={
                    "error": "NotFound",
                    "message": "Slack is not configured: set SLACK_SIGNING_SECRET and "
                    "SLACK_BOT_TOKEN and restart",
                },
            )
        response: Response = await handler.handle(request)
        return response

    @app.post("/v1/ask", response_model=AskResponse, tags=["answers"])
    def ask(body: AskRequest, bot: AssistantDep) -> AskResponse:
        """Answer a standalone question with cited excerpts, or abstain."""
        return AskResponse.of(bot.ask(body.question, top_k=body.top_k))

    @app.get("/v1/documents", response_model=list[DocumentSummary], tags=["documents"])
    def list_documents(bot: AssistantDep) -> list[DocumentSummary]:
        """Every indexed document (id, title, publication date, length)."""
        return [DocumentSummary.of(d) for d in bot.list_documents()]

    @app.get(
        "/v1/documents/{doc_id:path}",
        response_model=DocumentOut,
        tags=["documents"],
    )
    def get_document(doc_id: str, bot: AssistantDep) -> DocumentOut:
        """One document with the full text that citation offsets refer to."""
        return DocumentOut.of(bot.get_document(doc_id))

    def _admin_enabled(request: Request) -> None:
        current: Settings = request.app.state.settings
        if not current.api_key_list():
            raise AdminDisabledError(
                "document admin is disabled: set ASSISTANT_API_KEYS and send a key"
            )

    @app.post("/v1/documents", response_model=IndexChange, tags=["documents"])
    async def add_document(body: DocumentIn, request: Request, bot: AssistantDep) -> IndexChange:
        """Add or replace a document (needs an API key); served once indexed, no restart."""
        _admin_enabled(request)
        published = body.published.isoformat() if body.published else None
        delta = await run_in_threadpool(
            bot.upsert_document, body.id, body.text, body.title, published
        )
        return _change(body.id, bot, delta)

    @app.delete("/v1/documents/{doc_id:path}", response_model=IndexChange, tags=["documents"])
    async def delete_document(doc_id: str, request: Request, bot: AssistantDep) -> IndexChange:
        """Delete a document (needs an API key)."""
        _admin_enabled(request)
        delta = await run_in_threadpool(bot.delete_document, doc_id)
        return _change(doc_id, bot, delta)

    def _change(doc_id: str, bot: Assistant, delta: IndexDelta) -> IndexChange:
        return IndexChange(
            id=doc_id,
            index_version=bot.index_version,
            added=delta.added,
            changed=delta.changed,
            removed=delta.removed,
            unchanged=delta.unchanged,
        )

    @app.get("/healthz", response_model=Health, tags=["health"])
    def health(request: Request, bot: AssistantDep) -> Health:
        """Index counts, model and build time, and the parts that are degraded (the API
        answers as long as this answers 200)."""
        m = bot.data.manifest
        link = request.app.state.slack_link
        slack = None
        if link is not None:
            slack = PartHealth(ok=link.ok, reason=link.reason)
        elif request.app.state.slack_handler is not None:
            slack = PartHealth(ok=True)
        degraded = ["slack"] if slack is not None and not slack.ok else []
        return Health(
            status="degraded" if degraded else "ok",
            degraded=degraded,
            slack=slack,
            reader=bot.reader.name,
            index_version=bot.index_version,
            vector_index=bot.data.passage_store.kind,
            model=m.model,
            query_encoder=bot.query_encoder_kind,
            dim=m.dim,
            built_at=m.built_at,
            documents=m.documents,
            passages=m.passages,
            sentences=m.sentences,
        )

    return app
