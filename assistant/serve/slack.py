"""Slack front end: the assistant in mentions, DMs and threads (slack-bolt).

`register(app, assistant, feedback, settings)` attaches plain callbacks to a Bolt app;
`create_slack_app` builds the app from settings (HTTP mode, mounted by the API at
/slack/events) and `run_socket_mode` runs it over Socket Mode. Bolt acknowledges every
event before the listener runs (process_before_response=False), so answering never
holds Slack's 3-second ack.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from assistant.errors import AssistantError, InvalidInputError, SlackUnavailableError
from assistant.evals.feedback import FeedbackStore
from assistant.pipeline import Assistant
from assistant.records import Answer, Citation
from assistant.settings import Settings

logger = logging.getLogger(__name__)

# Slack's limits: 50 blocks a message, 3,000 characters a section text.
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_QUOTE_CHARS = 500


def escape(text: str) -> str:
    """Escape &, < and > as Slack's mrkdwn requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _source_line(c: Citation, base_url: str | None) -> str:
    title = escape(_clip(c.title, 150))
    if base_url:
        link = f"{base_url.rstrip('/')}/?doc={c.doc_id}&start={c.start}&end={c.end}"
        title = f"<{link}|{title}>"
    return f"*[{c.n}]* {title}\n>{_quote_with_highlight(c)}"


def _quote_with_highlight(c: Citation) -> str:
    """The quote, clipped, with the reader's answer span in bold when it fits."""
    quote = _clip(c.quote, MAX_QUOTE_CHARS)
    low, high = c.highlight_start, c.highlight_end
    if low is None or high is None or high > len(quote) or not c.quote[low:high].strip():
        return escape(quote)
    span = c.quote[low:high].strip()
    low = c.quote.index(span, low)
    high = low + len(span)
    return f"{escape(quote[:low])}*{escape(span)}*{escape(quote[high:])}"


def answer_blocks(
    answer: Answer, answer_id: str, searched: str, question: str, base_url: str | None = None
) -> list[dict[str, Any]]:
    """Block Kit for an answer: text with [n] markers, a conflict warning, the sources
    (or, when abstaining, the closest passages), and feedback buttons."""
    blocks: list[dict[str, Any]] = []

    def section(text: str) -> None:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_SECTION_CHARS)}}
        )

    if searched != question:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Searched for: {escape(searched)}"}],
            }
        )
    if answer.conflicts:
        notes = "; ".join(f"[{c.a}] and [{c.b}]: {escape(c.note)}" for c in answer.conflicts)
        section(f":warning: *The sources disagree:* {notes}")
    section(escape(answer.text))
    sources = answer.citations if answer.answered else answer.closest
    if sources:
        label = "*Sources*" if answer.answered else "*Closest passages* (they do not answer)"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": label}]})
    for c in sources:
        if len(blocks) >= MAX_BLOCKS - 2:
            break
        section(_source_line(c, base_url))
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"confidence {answer.confidence:.0%}"}],
        }
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": "feedback",
            "elements": [
                {
                    "type": "button",
                    "action_id": "feedback_helpful",
                    "text": {"type": "plain_text", "text": "Helpful"},
                    "value": answer_id,
                },
                {
                    "type": "button",
                    "action_id": "feedback_not_helpful",
                    "text": {"type": "plain_text", "text": "Not helpful"},
                    "value": answer_id,
                },
            ],
        }
    )
    return blocks[:MAX_BLOCKS]


class _SeenEvents:
    """Event ids already handled (bounded, with expiry): Slack retries an event it thinks
    was not acknowledged in time, and a retry must not answer twice."""

    def __init__(self, size: int = 10_000, ttl_seconds: float = 3600) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._size, self._ttl = size, ttl_seconds

    def first_time(self, event_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._seen and (
                len(self._seen) > self._size or next(iter(self._seen.values())) < now - self._ttl
            ):
                self._seen.popitem(last=False)
            if event_id in self._seen:
                return False
            self._seen[event_id] = now
            return True


def _strip_mention(text: str) -> str:
    return re.sub(r"<@[A-Z0-9]+>", "", text).strip()


def register(app: Any, assistant: Assistant, feedback: FeedbackStore, settings: Settings) -> None:
    """Attach the event, action and view listeners to a Bolt app."""
    seen = _SeenEvents()
    base_url = settings.public_base_url

    def answer_in_thread(
        body: dict[str, Any], event: dict[str, Any], client: Any, thread_ts: str | None
    ) -> None:
        event_id = str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}")
        if not seen.first_time(event_id):
            logger.info("ignoring a retry of event %s", event_id)
            return
        question = _strip_mention(str(event.get("text", "")))
        channel = str(event["channel"])
        conversation = f"slack-{channel}-{thread_ts or 'dm'}"
        if not question:
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text="Ask me a question about the documents."
            )
            return
        try:
            # the thread (or the DM) is the conversation, stored under its own name
            reply = assistant.chat(question, conversation, create=True)
        except AssistantError as exc:
            post_answer(client, channel, thread_ts, text=exc.message)
            return
        answer_id = feedback.record_answer(question, reply.searched, reply.answer, "slack")
        post_answer(
            client,
            channel,
            thread_ts,
            text=_clip(reply.answer.text, 3000),  # the notification / fallback text
            blocks=answer_blocks(reply.answer, answer_id, reply.searched, question, base_url),
            unfurl_links=False,
        )

    def is_from_a_bot(event: dict[str, Any]) -> bool:
        return bool(event.get("bot_id") or event.get("subtype") or event.get("app_id"))

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], client: Any) -> None:
        if is_from_a_bot(event):
            return
        answer_in_thread(body, event, client, event.get("thread_ts") or event["ts"])

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], client: Any) -> None:
        if is_from_a_bot(event):
            return
        text = str(event.get("text", ""))
        if event.get("channel_type") == "im":
            answer_in_thread(body, event, client, event.get("thread_ts"))
            return
        thread_ts = event.get("thread_ts")
        # a follow-up in a thread the bot answered in; mentions come as app_mention
        if thread_ts and "<@" not in text:
            key = f"slack-{event['channel']}-{thread_ts}"
            if assistant.conversations.exists(key):
                answer_in_thread(body, event, client, thread_ts)

    @app.action("feedback_helpful")
    def on_helpful(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        ack()
        feedback.vote(action["value"], True, user=body.get("user", {}).get("id"))
        _thank(client, body, "Thanks for the feedback.")

    @app.action("feedback_not_helpful")
    def on_not_helpful(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        ack()
        feedback.vote(action["value"], False, user=body.get("user", {}).get("id"))
        client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "feedback_comment",
                "private_metadata": action["value"],
                "title": {"type": "plain_text", "text": "What was wrong?"},
                "submit": {"type": "plain_text", "text": "Send"},
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "comment",
                        "optional": True,
                        "label": {"type": "plain_text", "text": "Comment (optional)"},
                        "element": {
                            "type": "plain_text_input",
                            "action_id": "text",
                            "multiline": True,
                        },
                    }
                ],
            },
        )

    @app.view("feedback_comment")
    def on_comment(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        comment = view["state"]["values"]["comment"]["text"].get("value")
        if comment:
            feedback.vote(
                view["private_metadata"], False, comment, user=body.get("user", {}).get("id")
            )

    def _thank(client: Any, body: dict[str, Any], text: str) -> None:
        channel = body.get("channel", {}).get("id")
        user = body.get("user", {}).get("id")
        if channel and user:
            client.chat_postEphemeral(channel=channel, user=user, text=text)


def check_tokens(bot_token: str | None, app_token: str | None = None, *, socket: bool) -> None:
    """Clear start-up errors naming the variable that is missing or malformed."""
    if not bot_token:
        raise InvalidInputError("SLACK_BOT_TOKEN is not set: copy the bot token (xoxb-...)")
    if not bot_token.startswith("xoxb-"):
        raise InvalidInputError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    if socket:
        if not app_token:
            raise InvalidInputError(
                "SLACK_APP_TOKEN is not set: create an app-level token (xapp-...) with "
                "connections:write for Socket Mode"
            )
        if not app_token.startswith("xapp-"):
            raise InvalidInputError(
                "SLACK_APP_TOKEN must be an app-level token starting with xapp-"
            )


def create_slack_app(
    assistant: Assistant,
    settings: Settings,
    *,
    client: Any = None,
    verify_token: bool = True,
    socket: bool = False,
) -> Any:
    """A Bolt app wired to the assistant. `client` and `verify_token=False` are for tests
    (a local stand-in for Slack's Web API); production verifies the token at start-up."""
    from slack_bolt import App
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret
    check_tokens(bot_token, socket=False)
    if not socket and not secret:
        raise InvalidInputError("SLACK_SIGNING_SECRET is not set: copy it from Basic Information")
    try:
        app = App(
            token=bot_token if client is None else None,  # a given client carries it
            signing_secret=secret.get_secret_value() if secret else None,
            client=client,
            token_verification_enabled=verify_token,
            request_verification_enabled=not socket,
        )
    except (BoltError, SlackApiError) as exc:
        raise SlackUnavailableError(
            f"Slack rejected SLACK_BOT_TOKEN ({_slack_error(exc)}): check the token and that "
            "the app is installed in the workspace"
        ) from None
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
        raise SlackUnavailableError(
            f"could not reach Slack to verify SLACK_BOT_TOKEN: {_network_error(exc)}"
        ) from None
    feedback_path = settings.feedback_db or settings.index_dir / "feedback.sqlite"
    register(app, assistant, FeedbackStore(feedback_path), settings)
    return app


def _slack_error(exc: Exception) -> str:
    """Slack's error code ("invalid_auth"), from the API error or Bolt's wrapped text."""
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None else None
    if error is None:
        found = re.search(r"'error': '([\w.-]+)'", str(exc))
        error = found.group(1) if found else str(exc).splitlines()[0]
    return str(error)


def _network_error(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason).splitlines()[0] or type(exc).__name__


def post_answer(client: Any, channel: str, thread_ts: str | None, **message: Any) -> bool:
    """Post a message (the client retries 429/5xx/dropped connections itself); when it
    still fails, log once and tell the user with a plain apology instead of silence."""
    from slack_sdk.errors import SlackApiError

    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
        return True
    except (SlackApiError, OSError) as exc:
        logger.warning("could not post the answer to Slack channel %s: %s", channel, exc)
    try:
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text="Sorry, I found an answer but Slack would not take it. Please ask again "
            "in a minute.",
        )
    except (SlackApiError, OSError) as exc:
        logger.warning("could not post the apology either: %s", exc)
    return False


def run_socket_mode(assistant: Assistant, settings: Settings) -> None:
    """Connect over Socket Mode (no public URL needed) and serve until interrupted. While
    Slack cannot be reached it retries with backoff (unless ASSISTANT_SLACK_REQUIRED);
    once connected, the Socket Mode client reconnects by itself."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from assistant.serve.slack_link import SlackLink

    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    check_tokens(bot_token, app_token, socket=True)
    link = SlackLink(assistant, settings, socket=True)
    if settings.slack_required:
        link.connect_or_fail()
    else:
        link.start()
        link.wait_until_on()
    SocketModeHandler(link.app, app_token).start()
