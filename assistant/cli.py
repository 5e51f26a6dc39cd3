"""Command line: `assistant index | ask | serve | eval`."""

from __future__ import annotations

import errno
import logging
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from assistant.errors import AssistantError, PortInUseError
from assistant.settings import Settings, load_settings

app = typer.Typer(
    help="A chat assistant grounded in a source corpus: cited excerpts or an honest 'not found'.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

CorpusOpt = Annotated[
    Path | None, typer.Option("--corpus", help="Corpus folder (default: ASSISTANT_CORPUS_DIR).")
]
IndexOpt = Annotated[
    Path | None, typer.Option("--index-dir", help="Index folder (default: ASSISTANT_INDEX_DIR).")
]


def _settings(corpus: Path | None = None, index_dir: Path | None = None, **extra: Any) -> Settings:
    overrides: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if corpus is not None:
        overrides["corpus_dir"] = corpus
    if index_dir is not None:
        overrides["index_dir"] = index_dir
    return load_settings(**overrides)


class _RateColumn(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        from rich.text import Text

        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} {task.fields.get('unit', 'it')}/s" if speed else "")


@app.command()
def index(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders to index (default: ASSISTANT_CORPUS_DIR).", show_default=False
        ),
    ] = None,
    corpus: CorpusOpt = None,
    index_dir: IndexOpt = None,
    include: Annotated[
        list[str] | None, typer.Option(help="Only files matching this glob (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Never files matching this glob (repeatable).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if up to date.")] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            help="local, or ray: read, chunk and embed on Ray Data (pip install '.[ray]'; "
            "default: ASSISTANT_INDEX_ENGINE).",
            show_default=False,
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster to join (default: ASSISTANT_RAY_ADDRESS; unset: Ray starts here).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Index .txt, .md, .html, .pdf and .jsonl files, embedding only what changed."""
    from assistant.corpus.ingest import IngestReport
    from assistant.search.embed import SentenceTransformerEmbedder
    from assistant.search.indexing import CorpusSources, ensure_index

    extra: dict[str, Any] = {}
    if include:
        extra["corpus_include"] = ",".join(include)
    if exclude:
        extra["corpus_exclude"] = ",".join(exclude)
    if engine is not None:
        extra["index_engine"] = engine
    if ray_address is not None:
        extra["ray_address"] = ray_address
    settings = _settings(
        corpus or (paths[0] if paths and len(paths) == 1 else None), index_dir, **extra
    )
    sources = CorpusSources.of(settings, paths)
    report = IngestReport()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"embedding {stage}", total=total, unit=stage)
            bar.update(tasks[stage], completed=done)

        result = ensure_index(
            settings,
            lambda: SentenceTransformerEmbedder(settings.model, settings.embed_batch_size),
            force=force,
            progress=progress,
            sources=sources,
            report=report,
        )
    m = result.manifest
    verb = "built" if result.rebuilt else "up to date"
    console.print(
        f"index {verb} in {settings.index_dir}/: {m.documents} documents, {m.passages} passages, "
        f"{m.sentences} sentences, model {m.model}"
        + (f" ({m.build_seconds:.1f} s)" if result.rebuilt else "")
    )
    if result.delta is not None:
        console.print(f"documents: {result.delta.summary()}")
    console.print(f"files: {report.summary()}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to answer.")],
    index_dir: IndexOpt = None,
    corpus: CorpusOpt = None,
    top_k: Annotated[int | None, typer.Option(min=1, max=50)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Answer one question from the index, then list the numbered sources."""
    from assistant.pipeline import Assistant
    from assistant.schemas import AskResponse

    settings = _settings(corpus, index_dir)
    if "query_encoder" not in settings.model_fields_set:
        # one question: loading and checking the ONNX export costs more than it saves
        settings = settings.model_copy(update={"query_encoder": "fp32"})
    answer = Assistant.from_settings(settings).ask(question, top_k=top_k)
    if as_json:
        console.print_json(AskResponse.of(answer).model_dump_json())
        return
    console.print(answer.text, highlight=False)
    console.print(f"[dim]confidence {answer.confidence:.2f} · {answer.latency_ms:.0f} ms[/dim]")
    sources = answer.citations if answer.answered else answer.closest
    if sources:
        console.print("\n[bold]Sources[/bold]" if answer.answered else "\n[bold]Closest[/bold]")
    for c in sources:
        console.print(f"[{c.n}] {c.title} — {c.doc_id} [{c.start}:{c.end}]", highlight=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    index_dir: IndexOpt = None,
    corpus: CorpusOpt = None,
    corpus_check: Annotated[
        bool,
        typer.Option(
            "--corpus-check/--no-corpus-check",
            help="Refuse an index that differs from the corpus folder (off for API replicas "
            "that serve a shared index without the corpus).",
        ),
    ] = True,
) -> None:
    """Serve the HTTP API (and /docs) over the built index."""
    import uvicorn

    from assistant.pipeline import Assistant
    from assistant.serve.api import create_app

    settings = _settings(corpus, index_dir, host=host, port=port)
    # fail here, with the message, not inside uvicorn and never half-started
    listener = _bind(settings.host, settings.port)
    bot = Assistant.from_settings(settings, check_corpus=corpus_check)
    # the guards write one JSON access line per request (request id, status, ms, client)
    # at INFO; uvicorn's own plain access line would repeat it
    logging.getLogger("assistant").setLevel(settings.log_level.upper())
    link = None
    if settings.slack_bot_token and settings.slack_signing_secret:
        from assistant.serve.slack_link import SlackLink

        link = SlackLink(bot, settings)
        if settings.slack_required:
            link.connect_or_fail()
    config = uvicorn.Config(
        create_app(settings, assistant=bot, slack_link=link),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    uvicorn.Server(config).run(sockets=[listener])


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything loads: a taken port is one message."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is in use by another process: stop it, or serve on "
                f"another port (--port {port + 1} or ASSISTANT_PORT={port + 1})"
            ) from None
        raise PortInUseError(
            f"cannot listen on {host}:{port} ({exc.strerror}): "
            "check ASSISTANT_HOST and ASSISTANT_PORT"
        ) from None
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


@app.command("eval")
def eval_(
    gold: Annotated[Path, typer.Option(help="Gold file (YAML).")] = Path("evals/gold.yaml"),
    baseline: Annotated[Path, typer.Option(help="Baseline to diff against.")] = Path(
        "evals/baseline.json"
    ),
    report_dir: Annotated[Path, typer.Option(help="Where reports go.")] = Path("reports/eval"),
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Rewrite the baseline with this run.")
    ] = False,
    index_dir: IndexOpt = None,
    corpus: CorpusOpt = None,
) -> None:
    """Run the gold set; exit 1 when a fact is lost, an abstention breaks or a total drops."""
    import json

    from assistant.evals.evaluate import (
        ask_runner,
        baseline_payload,
        chat_runner,
        diff_against_baseline,
        gate,
        load_gold,
        run_cases,
        summarize,
    )
    from assistant.evals.reports import print_table, write_reports
    from assistant.pipeline import Assistant
    from assistant.search.embed import SentenceTransformerEmbedder
    from assistant.search.indexing import ensure_index

    gold_set = load_gold(gold)
    settings = _settings(corpus, index_dir)
    embedder = SentenceTransformerEmbedder(settings.model, settings.embed_batch_size)
    ensure_index(settings, lambda: embedder)
    bot = Assistant.from_settings(settings, embedder)
    results = run_cases(
        gold_set, ask_runner(bot.ask), bot.data.documents, chat=chat_runner(bot.chat)
    )
    totals = summarize(results)
    previous = None
    if baseline.is_file():
        previous = json.loads(baseline.read_text(encoding="utf-8"))
    elif not update_baseline:
        err_console.print(f"no baseline at {baseline}: run with --update-baseline to create it")
    diff = diff_against_baseline(results, previous)
    failures = gate(totals, gold_set.thresholds, diff)
    meta = {"gold": str(gold), "built_at": bot.data.manifest.built_at, "model": settings.model}
    print_table(console, results, totals, diff, failures)
    paths = write_reports(report_dir, results, totals, diff, failures, meta)
    console.print(f"reports: {', '.join(str(p) for p in paths.values())}")
    if update_baseline:
        payload = baseline_payload(results, totals)
        baseline.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", "utf-8")
        console.print(f"baseline written to {baseline}")
        return
    if failures:
        raise typer.Exit(code=1)


@app.command()
def slack(index_dir: IndexOpt = None, corpus: CorpusOpt = None) -> None:
    """Run the Slack bot over Socket Mode (SLACK_BOT_TOKEN and SLACK_APP_TOKEN)."""
    from assistant.pipeline import Assistant
    from assistant.serve.slack import check_tokens, run_socket_mode

    settings = _settings(corpus, index_dir)
    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    check_tokens(bot_token, app_token, socket=True)  # before loading the model
    run_socket_mode(Assistant.from_settings(settings), settings)


feedback_app = typer.Typer(help="Feedback collected by the Slack bot.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path, typer.Option(help="Where to write the candidates.")] = Path(
        "evals/candidates.yaml"
    ),
    index_dir: IndexOpt = None,
) -> None:
    """Write not-helpful answers as candidate gold cases for a person to review."""
    from assistant.evals.feedback import FeedbackStore, export_candidates

    settings = _settings(None, index_dir)
    path = settings.feedback_db or settings.index_dir / "feedback.sqlite"
    if not path.is_file():
        err_console.print(f"no feedback yet ({path} does not exist)")
        raise typer.Exit(code=1)
    votes = FeedbackStore(path).votes(helpful=False)
    out.write_text(export_candidates(votes), encoding="utf-8")
    console.print(f"{len({v.answer_id for v in votes})} candidate cases written to {out}")


def main() -> None:
    """Entry point of the `assistant` console script."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    try:
        app()
    except AssistantError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc.message}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
