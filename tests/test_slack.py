"""The Slack bot: the real Bolt app behind the real HTTP server, driven by correctly signed
requests; its WebClient talks to a local stand-in for Slack's Web API that records calls."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.errors import InvalidInputError
from assistant.evals.feedback import FeedbackStore, export_candidates
from assistant.pipeline import Assistant
from assistant.serve.slack import MAX_BLOCKS, answer_blocks, check_tokens, create_slack_app
from tests.conftest import SlackReply, serve, slack_api_stand_in

pytestmark = pytest.mark.slow
SECRET = "test-signing-secret"


class SlackStandIn:
    """A loopback HTTP server answering Slack Web API calls with ok and recording them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.server, self.url = slack_api_stand_in(self._respond)

    def _respond(self, method: str, body: dict[str, Any]) -> SlackReply:
        self.calls.append((method, body))
        reply = {"ok": True, "ts": f"{time.time():.6f}", "channel": body.get("channel")}
        if method == "auth.test":
            reply.update(user_id="UBOT", bot_id="BBOT", team_id="T1", user="bot")
        return 200, reply, {}

    def wait_for(self, method: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [b for m, b in self.calls if m == method]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{method} called {len(found)} times, expected {count}")


@pytest.fixture(scope="module")
def slack_env(
    real_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, SlackStandIn, FeedbackStore]]:
    from pydantic import SecretStr
    from slack_sdk import WebClient

    stand_in = SlackStandIn()
    tmp = tmp_path_factory.mktemp("slack")
    settings = real_assistant.settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test"),
            "slack_signing_secret": SecretStr(SECRET),
            "feedback_db": tmp / "feedback.sqlite",
            "public_base_url": "https://assistant.example",
        }
    )
    client = WebClient(token="xoxb-test", base_url=stand_in.url)
    bolt = create_slack_app(real_assistant, settings, client=client, verify_token=False)
    with serve(real_assistant, slack_app=bolt) as url:
        yield url, stand_in, FeedbackStore(tmp / "feedback.sqlite")
    stand_in.server.shutdown()


def _signed(body: str, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    ts = str(int(time.time()) - age)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest}"}


def _event(event_id: str, event: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )


def _post_event(url: str, body: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{url}/slack/events",
        content=body,
        headers={"content-type": "application/json", **_signed(body), **headers},
        timeout=10,
    )


def _post_interaction(url: str, payload: dict[str, Any]) -> httpx.Response:
    """A signed interactivity request (button click, modal submission)."""
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    return httpx.post(
        f"{url}/slack/interactivity",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", **_signed(body)},
        timeout=10,
    )


def test_mention_is_answered_in_its_thread_with_sources_and_buttons(
    slack_env: tuple[str, SlackStandIn, FeedbackStore], real_assistant: Assistant
) -> None:
    url, stand_in, _ = slack_env
    real_assistant_answer = real_assistant.ask
    before = len([m for m, _ in stand_in.calls if m == "chat.postMessage"])
    body = _event(
        "EvMention1",
        {
            "type": "app_mention",
            "user": "U1",
            "text": "<@UBOT> Where were the talks held?",
            "ts": "1700000000.000100",
            "channel": "C1",
        },
    )
    started = time.monotonic()
    r = _post_event(url, body)
    assert r.status_code == 200
    assert time.monotonic() - started < 3  # acknowledged before the work is done
    [post] = stand_in.wait_for("chat.postMessage", before + 1)[-1:]
    assert post["channel"] == "C1" and post["thread_ts"] == "1700000000.000100"
    text = json.dumps(post["blocks"])
    assert "Oman" in text and "*[1]*" in text
    assert "https://assistant.example/?doc=000_a1b2fa8f02a3a778" in text
    # the reader's answer span is bold inside the quoted source
    answer = real_assistant_answer("Where were the talks held?")
    first = answer.citations[0]
    span = first.quote[first.highlight_start : first.highlight_end].strip()
    assert f"*{span}*" in text
    actions = [b for b in post["blocks"] if b["type"] == "actions"]
    assert {e["action_id"] for e in actions[0]["elements"]} == {
        "feedback_helpful",
        "feedback_not_helpful",
    }


def test_follow_up_in_the_thread_uses_the_conversation(
    slack_env: tuple[str, SlackStandIn, FeedbackStore], real_assistant: Assistant
) -> None:
    url, stand_in, _ = slack_env
    thread = "1700000001.000100"
    before = len([m for m, _ in stand_in.calls if m == "chat.postMessage"])
    _post_event(
        url,
        _event(
            "EvMention2",
            {
                "type": "app_mention",
                "user": "U1",
                "text": "<@UBOT> Who is Abbas Araghchi?",
                "ts": thread,
                "channel": "C2",
            },
        ),
    )
    first = len(stand_in.wait_for("chat.postMessage", before + 1))
    _post_event(
        url,
        _event(
            "EvFollow1",
            {
                "type": "message",
                "channel_type": "channel",
                "user": "U1",
                "text": "What did he say about the missile program?",
                "ts": "1700000002.000100",
                "thread_ts": thread,
                "channel": "C2",
            },
        ),
    )
    post = stand_in.wait_for("chat.postMessage", first + 1)[-1]
    assert post["thread_ts"] == thread
    # the thread is stored as a conversation under its own name: a restart keeps it
    assert real_assistant.conversations.exists(f"slack-C2-{thread}")
    text = json.dumps(post["blocks"])
    assert "non-negotiable" in text and "Searched for" in text and "Araghchi" in text


def test_direct_message_abstains_with_closest_passages(
    slack_env: tuple[str, SlackStandIn, FeedbackStore],
) -> None:
    url, stand_in, _ = slack_env
    count = len(stand_in.wait_for("chat.postMessage", 0))
    _post_event(
        url,
        _event(
            "EvDm1",
            {
                "type": "message",
                "channel_type": "im",
                "user": "U1",
                "text": "What is the capital of Australia?",
                "ts": "1700000003.000100",
                "channel": "D1",
            },
        ),
    )
    post = stand_in.wait_for("chat.postMessage", count + 1)[-1]
    assert post["channel"] == "D1"
    text = json.dumps(post["blocks"])
    assert "does not answer" in text and "Closest passages" in text


def test_retries_bots_and_own_messages_are_not_answered_twice(
    slack_env: tuple[str, SlackStandIn, FeedbackStore],
) -> None:
    url, stand_in, _ = slack_env
    body = _event(
        "EvRetry1",
        {
            "type": "app_mention",
            "user": "U1",
            "text": "<@UBOT> Who is Trita Parsi?",
            "ts": "1700000004.000100",
            "channel": "C3",
        },
    )
    count = len(stand_in.wait_for("chat.postMessage", 0))
    assert _post_event(url, body).status_code == 200
    assert _post_event(url, body, **{"x-slack-retry-num": "1"}).status_code == 200
    for event_id, event in [
        (
            "EvBot1",
            {
                "type": "message",
                "channel_type": "im",
                "bot_id": "B2",
                "text": "hi",
                "ts": "1.1",
                "channel": "D2",
            },
        ),
        (
            "EvOwn1",
            {
                "type": "message",
                "channel_type": "im",
                "subtype": "bot_message",
                "text": "hi",
                "ts": "1.2",
                "channel": "D2",
            },
        ),
    ]:
        assert _post_event(url, _event(event_id, event)).status_code == 200
    stand_in.wait_for("chat.postMessage", count + 1)
    time.sleep(1.5)  # give a duplicate every chance to arrive
    posts = [b for m, b in stand_in.calls if m == "chat.postMessage"][count:]
    assert len(posts) == 1 and posts[0]["channel"] == "C3"


def test_bad_signatures_are_rejected_and_do_nothing(
    slack_env: tuple[str, SlackStandIn, FeedbackStore],
) -> None:
    url, stand_in, _ = slack_env
    count = len(stand_in.calls)
    body = _event(
        "EvBad1",
        {"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "ts": "2.1", "channel": "C9"},
    )
    for headers in (
        {},  # missing
        _signed(body, secret="wrong"),  # wrong
        _signed(body, age=600),  # stale (over five minutes)
    ):
        r = httpx.post(
            f"{url}/slack/events",
            content=body,
            headers={"content-type": "application/json", **headers},
            timeout=10,
        )
        assert r.status_code == 401
    time.sleep(0.5)
    assert len(stand_in.calls) == count


def test_feedback_buttons_are_stored_and_exported(
    slack_env: tuple[str, SlackStandIn, FeedbackStore], tmp_path: Path
) -> None:
    url, stand_in, store = slack_env
    posts = stand_in.wait_for("chat.postMessage")
    answer_id = next(
        e["value"]
        for b in posts[0]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "feedback_not_helpful"
    )
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "trig-1",
        "channel": {"id": "C1"},
        "container": {"type": "message", "channel_id": "C1"},
        "actions": [
            {
                "action_id": "feedback_not_helpful",
                "block_id": "feedback",
                "value": answer_id,
                "type": "button",
                "action_ts": "3.1",
            }
        ],
    }
    assert _post_interaction(url, payload).status_code == 200
    [modal] = stand_in.wait_for("views.open")
    assert modal["trigger_id"] == "trig-1"
    view = {
        "type": "view_submission",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "feedback_comment",
            "private_metadata": answer_id,
            "state": {
                "values": {
                    "comment": {"text": {"type": "plain_text_input", "value": "Missed the date"}}
                }
            },
        },
    }
    assert _post_interaction(url, view).status_code == 200
    votes = store.votes(helpful=False)
    assert any(v.comment == "Missed the date" for v in votes)
    assert votes[0].question == "Where were the talks held?"
    exported = export_candidates(votes)
    import yaml

    case = yaml.safe_load(exported)["cases"][0]
    assert case["question"] == "Where were the talks held?"
    assert case["doc"] == "000_a1b2fa8f02a3a778"
    assert case["review"]["comment"] in {"", "Missed the date"}


def test_long_answers_respect_block_kit_limits(real_assistant: Assistant) -> None:
    answer = real_assistant.ask("What is the capital of Australia?")
    from dataclasses import replace

    huge = replace(answer, text="x" * 10_000, closest=answer.closest * 40)
    blocks = answer_blocks(huge, "id", "q", "q")
    assert len(blocks) <= MAX_BLOCKS
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000


@pytest.mark.parametrize(
    ("bot", "app", "socket", "fragment"),
    [
        (None, None, False, "SLACK_BOT_TOKEN is not set"),
        ("abc", None, False, "SLACK_BOT_TOKEN must be a bot token"),
        ("xoxb-1", None, True, "SLACK_APP_TOKEN is not set"),
        ("xoxb-1", "xoxp-2", True, "SLACK_APP_TOKEN must be an app-level token"),
    ],
)
def test_token_errors_name_the_variable(
    bot: str | None, app: str | None, socket: bool, fragment: str
) -> None:
    with pytest.raises(InvalidInputError, match=fragment):
        check_tokens(bot, app, socket=socket)
