"""The Slack bot's link to Slack: on when Slack verified the token, off with a reason
otherwise, retried in the background so a failing Slack never takes the API down.

`SlackLink.start()` tries once in a background thread and, while Slack cannot be
reached or rejects SLACK_BOT_TOKEN, again after 30 s, doubling to at most 5 minutes.
Each new reason is logged once, in plain words, without a traceback. The API's
/slack/events answers 503 with the reason until the link is on; /healthz reports it.
With ASSISTANT_SLACK_REQUIRED=true the server does not start without Slack
(`connect_or_fail`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from assistant.errors import SlackUnavailableError
from assistant.pipeline import Assistant
from assistant.settings import Settings

logger = logging.getLogger(__name__)
# slack_sdk logs every failed call at ERROR with the URL error; the link says it once
_QUIET = logging.getLogger("assistant.serve.slack_link.web")
_QUIET.setLevel(logging.CRITICAL)
FIRST_RETRY_S = 30.0
MAX_RETRY_S = 300.0


def slack_client(settings: Settings) -> Any:
    """A WebClient for the bot token and SLACK_API_URL, retrying what Slack's guidance
    says to retry: 429 after its Retry-After, 5xx and dropped connections (twice each)."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        logger=_QUIET,
        base_url=settings.slack_api_url,
        timeout=max(1, round(settings.slack_timeout_s)),
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


class SlackLink:
    """The Bolt app's request handler once Slack is verified; the reason while not."""

    def __init__(self, assistant: Assistant, settings: Settings, *, socket: bool = False) -> None:
        self.assistant, self.settings, self.socket = assistant, settings, socket
        self.handler: Any = None
        self.app: Any = None
        self.reason: str | None = "connecting to Slack"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._logged: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the bot is on."""
        return self.app is not None

    def try_connect(self) -> bool:
        """One attempt: build the Bolt app, which verifies the token with auth.test."""
        from assistant.serve.slack import create_slack_app

        try:
            app = create_slack_app(
                self.assistant,
                self.settings,
                client=slack_client(self.settings),
                socket=self.socket,
            )
        except SlackUnavailableError as exc:
            self.reason = exc.message
            return False
        if not self.socket:
            from slack_bolt.adapter.starlette import SlackRequestHandler

            self.handler = SlackRequestHandler(app)
        self.app, self.reason = app, None
        logger.info("Slack verified SLACK_BOT_TOKEN: the Slack bot is on")
        return True

    def connect_or_fail(self) -> None:
        """For ASSISTANT_SLACK_REQUIRED: connect now or raise the reason."""
        if not self.try_connect():
            raise SlackUnavailableError(
                f"{self.reason}; ASSISTANT_SLACK_REQUIRED=true, so the server does not start "
                "(unset it to serve the API without the Slack bot)"
            )

    def start(self) -> None:
        """Connect in the background, retrying with backoff until connected or stopped."""
        self._thread = threading.Thread(target=self._run, name="slack-link", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop retrying."""
        self._stop.set()

    def wait_until_on(self, timeout_s: float | None = None) -> bool:
        """Block until the bot is on (Socket Mode's runner), stopped, or timed out."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.ok

    def _run(self) -> None:
        delay = FIRST_RETRY_S
        while not self._stop.is_set():
            if self.try_connect():
                return
            if self.reason != self._logged:
                logger.warning(
                    "%s; the Slack bot is off, the API is up; it retries every %.0f s",
                    self.reason,
                    delay,
                )
                self._logged = self.reason
            else:
                logger.debug("Slack still unavailable: %s", self.reason)
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, MAX_RETRY_S)
