"""The one error hierarchy of the assistant.

    AssistantError                  base; `http_status` maps it to HTTP
    ├── InvalidInputError           400/422: a question, top_k or body the user can fix
    ├── NotFoundError               404: unknown document id
    ├── AdminDisabledError          403: document admin needs API keys configured
    ├── CorpusError                 400: corpus folder missing, empty or unreadable
    ├── SettingsError               500: a setting (ASSISTANT_... variable) has a bad value
    ├── ModelUnavailableError       503: a model package or file is missing or unreadable
    ├── SlackUnavailableError       503: Slack cannot be reached or rejects SLACK_BOT_TOKEN
    ├── PortInUseError              the port to serve on is taken
    └── IndexUnavailableError                 503: the index cannot serve
        ├── IndexMissingError       no index built yet
        ├── IndexStaleError         built for another model, schema or corpus
        ├── IndexCorruptError       a file is truncated or unreadable
        └── VectorStoreUnavailableError  the vector store (Milvus) cannot be reached

Every message says what to do next, e.g. "no index at index/: run `assistant index`".
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: every error the assistant raises on purpose."""

    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(AssistantError):
    """The request cannot be answered as given; the message says how to fix it."""

    http_status = 422


class NotFoundError(AssistantError):
    """A named thing (a document id) does not exist."""

    http_status = 404


class AdminDisabledError(AssistantError):
    """Document admin routes are off until API keys are configured."""

    http_status = 403


class SettingsError(AssistantError):
    """A setting from the environment or .env cannot be used; the message names the
    variable, the value given and what it accepts."""

    http_status = 500


class ModelUnavailableError(AssistantError):
    """A model (the embedder's package, the reader's files) cannot be loaded; the
    message names what is missing and how to install it."""

    http_status = 503


class EngineUnavailableError(AssistantError):
    """The indexing engine asked for (Ray) is not installed or its cluster cannot be
    joined; the message says what to install or which address failed."""

    http_status = 503


class SlackUnavailableError(AssistantError):
    """Slack cannot be reached, is too slow, or rejects the bot token; the API serves on
    and the bot retries (unless ASSISTANT_SLACK_REQUIRED)."""

    http_status = 503


class PortInUseError(AssistantError):
    """The host:port to serve on is already taken by another process."""


class CorpusError(AssistantError):
    """The corpus folder is missing, empty or unreadable."""

    http_status = 400


class IndexUnavailableError(AssistantError):
    """The index on disk cannot be used to answer."""

    http_status = 503


class IndexMissingError(IndexUnavailableError):
    """No index has been built in the index directory."""


class IndexStaleError(IndexUnavailableError):
    """The index was built for another model, dimension, schema or corpus."""


class IndexCorruptError(IndexUnavailableError):
    """An index file is truncated, corrupted or inconsistent with the manifest."""


class VectorStoreUnavailableError(IndexUnavailableError):
    """The configured vector store (Milvus) cannot be reached or is not installed."""
