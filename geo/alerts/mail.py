"""Sending a digest by e-mail through a configured SMTP server, with retries and back-off.

Settings come from the environment (never from code or from the store): ``VEILLE_SMTP_HOST``,
``VEILLE_SMTP_PORT`` (587), ``VEILLE_SMTP_SECURITY`` (``starttls``, ``tls`` or ``none``), ``VEILLE_SMTP_USER``,
``VEILLE_SMTP_PASSWORD``, ``VEILLE_SMTP_SENDER``, ``VEILLE_SMTP_RETRIES`` (3 attempts) and
``VEILLE_SMTP_BACKOFF`` (2 s, doubled at each new attempt).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from geo.errors import InputError

__all__ = ["SmtpSettings", "SendResult", "smtp_settings", "build_message", "send_message"]

SECURITIES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password is kept out of ``repr``."""

    host: str
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "veille@localhost"
    attempts: int = 3
    backoff_s: float = 2.0
    timeout_s: float = 20.0


@dataclass(frozen=True)
class SendResult:
    """What happened: sent or not, after how many attempts, and the last error."""

    sent: bool
    attempts: int
    error: str | None = None


def smtp_settings(environ: Mapping[str, str] | None = None) -> SmtpSettings:
    """Read the SMTP settings from the environment.

    Raises
    ------
    InputError
        When ``VEILLE_SMTP_HOST`` is missing or a value is not of the expected form.
    """
    env = os.environ if environ is None else environ
    host = env.get("VEILLE_SMTP_HOST", "").strip()
    if not host:
        raise InputError("envoi impossible : VEILLE_SMTP_HOST (serveur SMTP) n'est pas configuré")
    security = env.get("VEILLE_SMTP_SECURITY", "starttls").strip().lower()
    if security not in SECURITIES:
        raise InputError(f"VEILLE_SMTP_SECURITY attendu parmi {SECURITIES} ; reçu {security!r}")
    try:
        port = int(env.get("VEILLE_SMTP_PORT", "465" if security == "tls" else "587"))
        attempts = max(1, int(env.get("VEILLE_SMTP_RETRIES", "3")))
        backoff = float(env.get("VEILLE_SMTP_BACKOFF", "2"))
    except ValueError as exc:
        raise InputError(f"réglage SMTP illisible : {exc}") from exc
    return SmtpSettings(host=host, port=port, security=security, user=env.get("VEILLE_SMTP_USER") or None,
                        password=env.get("VEILLE_SMTP_PASSWORD") or None,
                        sender=env.get("VEILLE_SMTP_SENDER", "veille@localhost"), attempts=attempts,
                        backoff_s=backoff)


def build_message(*, sender: str, recipients: Sequence[str], subject: str, html: str, text: str,
                  images: Mapping[str, bytes]) -> EmailMessage:
    """Return a multipart message: plain text, and HTML with its images attached inline (``cid:NAME``)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]
    for name, data in images.items():
        html_part.add_related(data, maintype="image", subtype="png", cid=f"<{name}>", filename=f"{name}.png")
    return message


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "tls":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s,
                                context=ssl.create_default_context())
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    if settings.security == "starttls":
        client.starttls(context=ssl.create_default_context())
    return client


def send_message(message: EmailMessage, settings: SmtpSettings, *,
                 sleep: Callable[[float], None] = time.sleep) -> SendResult:
    """Send ``message``, retrying connection failures with back-off; never raises for a failed send.

    Refused credentials or recipients are not retried (another attempt would be refused the same way).
    """
    error = None
    for attempt in range(1, settings.attempts + 1):
        try:
            with _connect(settings) as client:
                if settings.user:
                    client.login(settings.user, settings.password or "")
                client.send_message(message)
            return SendResult(True, attempt)
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            return SendResult(False, attempt, f"{type(exc).__name__}: {exc}")
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            if attempt < settings.attempts:
                sleep(settings.backoff_s * 2 ** (attempt - 1))
    return SendResult(False, settings.attempts, error)
