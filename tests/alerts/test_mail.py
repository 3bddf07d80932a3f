"""Sending notes de veille to a real SMTP server (aiosmtpd) started by the test on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader

from geo.alerts.mail import SmtpSettings, build_message, send_message
from geo.alerts.registry import Subscription, list_alerts, set_subscription
from geo.cli.main import main
from geo.store.database import Store
from tests.mail_server import free_port

NOW = "2026-03-02T09:00"  # a Monday: weekly digests (default: Monday) are due


def run(capsys, *argv: str) -> tuple[int, dict, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, json.loads(out.strip().splitlines()[-1]), err


@pytest.fixture
def detected(capsys, demo_url) -> Store:
    """The demo store with the alerts of 1 March 2026 stored; Grand Dijon Habitat subscribed to immediate alerts."""
    assert main(["--db", demo_url, "alerts", "--detect", "--as-of", "2026-03-01"]) == 0
    capsys.readouterr()
    store = Store(demo_url)
    set_subscription(store, Subscription("grand-dijon-habitat", mode="immediate"))
    return store


def test_due_sends_each_digest_once_without_personal_data(capsys, demo_url, detected, smtp):
    store = detected
    code, summary, err = run(capsys, "--db", demo_url, "digest", "--due", "--send", "--now", NOW)
    assert code == 0, err
    assert summary["failed"] == 0 and summary["sent"] == len(summary["due"]) == len(smtp.messages)
    modes = {d["partner"]: d["mode"] for d in summary["due"]}
    assert modes["grand-dijon-habitat"] == "immediate" and modes["ville-proprete"] == "weekly"
    [(rcpt, message)] = [(r, m) for r, m in smtp.messages if "gestion-proximite@grand-dijon-habitat.example" in r]
    assert rcpt == ["gestion-proximite@grand-dijon-habitat.example"]
    assert message["From"] == "veille@mediation.example"
    assert message["Subject"].startswith("Note de veille du 02/03/2026 – Grand Dijon Habitat")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Fontaine d&#x27;Ouche" in html and "Farrington flexible" in html
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content().startswith(b"\x89PNG")
    assert f"cid:{images[0]['Content-ID'].strip('<>')}" in html
    # the reports behind the alert are listed, their free text and team are not
    [spike] = [a for a in list_alerts(store, partner="grand-dijon-habitat") if a["method"] == "farrington"]
    assert spike["status"] == "envoyee"
    behind = store.read_reports_by_id(spike["report_ids"], columns=("id", "description", "team"))
    raw = message.as_string()
    for rid in behind["id"]:
        assert rid in html
    for text in set(behind["description"]) | set(behind["team"]):
        assert text not in raw and text not in html
    assert not list_alerts(store, statuses=["nouvelle"], partner="grand-dijon-habitat")

    code, summary, _ = run(capsys, "--db", demo_url, "digest", "--due", "--send", "--now", NOW)
    assert code == 0 and summary["due"] == [] and summary["sent"] == 0
    assert len(smtp.messages) == len(modes)  # nothing sent twice


def test_refused_connection_is_retried_reported_and_alerts_stay_new(capsys, demo_url, detected, monkeypatch):
    monkeypatch.setenv("VEILLE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("VEILLE_SMTP_SECURITY", "none")
    monkeypatch.setenv("VEILLE_SMTP_RETRIES", "3")
    monkeypatch.setenv("VEILLE_SMTP_BACKOFF", "0.01")
    code, summary, err = run(capsys, "--db", demo_url, "digest", "--partner", "grand-dijon-habitat", "--send",
                             "--now", NOW)
    assert code == 1
    assert summary["sent"] == 0 and summary["failed"] == 1
    [error] = summary["errors"]
    assert error["partner"] == "grand-dijon-habitat" and error["attempts"] == 3 and "Refused" in error["error"]
    assert "échec" in err and "nouvelle" in err
    assert {a["status"] for a in list_alerts(detected, partner="grand-dijon-habitat")} == {"nouvelle"}


def test_send_backs_off_between_attempts():
    delays = []
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", attempts=4, backoff_s=0.5)
    message = build_message(sender="a@b.example", recipients=["c@d.example"], subject="s", html="<p>x</p>",
                            text="x", images={})
    result = send_message(message, settings, sleep=delays.append)
    assert not result.sent and result.attempts == 4
    assert delays == [0.5, 1.0, 2.0]


def test_partner_digest_to_file(capsys, demo_url, detected, tmp_path):
    out = tmp_path / "note.html"
    code, summary, _ = run(capsys, "--db", demo_url, "digest", "--partner", "grand-dijon-habitat", "--out", out,
                           "--now", NOW)
    assert code == 0 and summary["sent"] == 0
    page = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "cid:" not in page
    assert {a["status"] for a in list_alerts(detected, partner="grand-dijon-habitat")} == {"nouvelle"}  # preview only


def test_missing_smtp_host_is_a_clear_error(capsys, demo_url, detected, monkeypatch):
    monkeypatch.delenv("VEILLE_SMTP_HOST", raising=False)
    code = main(["--db", demo_url, "digest", "--due", "--send", "--now", NOW])
    assert code == 2 and "VEILLE_SMTP_HOST" in capsys.readouterr().err


def test_partner_digest_as_pdf(capsys, demo_url, detected, tmp_path):
    out = tmp_path / "note.pdf"
    code, _, _ = run(capsys, "--db", demo_url, "digest", "--partner", "grand-dijon-habitat", "--out", out,
                     "--now", NOW)
    assert code == 0
    reader = PdfReader(out)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Grand Dijon Habitat" in text and "Fontaine d'Ouche" in text and "Farrington flexible" in text
    [spike] = [a for a in list_alerts(detected, partner="grand-dijon-habitat") if a["method"] == "farrington"]
    assert spike["report_ids"][0] in text
    behind = detected.read_reports_by_id(spike["report_ids"], columns=("id", "description", "team"))
    assert not any(t in text for t in set(behind["description"]) | set(behind["team"]))
    assert any("/XObject" in str(page.get("/Resources", {})) for page in reader.pages), "the map image is in it"
