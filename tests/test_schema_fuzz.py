"""schemathesis against the app's own OpenAPI schema: no 5xx, responses conform."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.specs.openapi.checks import allow_header_conformance

from assistant.corpus.ingest import load_corpus
from assistant.pipeline import Assistant
from assistant.search.embed import HashEmbedder
from assistant.search.indexing import build_index
from assistant.serve.api import create_app
from tests.conftest import make_settings


def _app(tmp: Path) -> object:
    config = make_settings(tmp, rate_limit=None)
    embedder = HashEmbedder()
    build_index(load_corpus(config.corpus_dir), embedder, config)
    return create_app(config, assistant=Assistant.from_settings(config, embedder))


_TMP = Path(__import__("tempfile").mkdtemp(prefix="schemathesis-"))
schema = schemathesis.openapi.from_asgi("/openapi.json", _app(_TMP))


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_and_never_fails(case: schemathesis.Case) -> None:
    # The OpenAI request schema cannot say "the last user message has text"; that one
    # route may reject schema-valid input with a 422 (it still must never 5xx).
    # Starlette answers a wrong method with the Allow header of one route for a path,
    # while /v1/documents has two (GET, POST): that check is left out.
    excluded = [allow_header_conformance]
    if case.path == "/v1/chat/completions":
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
