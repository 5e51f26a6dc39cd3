"""Serve: the front ends over the assistant (HTTP API, OpenAI-compatible chat, web page, Slack)."""
