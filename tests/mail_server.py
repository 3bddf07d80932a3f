"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1): its inbox, a free port; the ``smtp`` fixture is in
tests/conftest.py."""

from __future__ import annotations

import email
import email.policy
import socket

__all__ = ["Inbox", "free_port"]


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
