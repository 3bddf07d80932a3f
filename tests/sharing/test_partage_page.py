"""The Partage page: a coordinator produces the full export, through the CLI's code path."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from geo.ingest.entry import FieldEntry, record_report
from geo.settings import load_settings
from geo.sharing import accounts
from geo.sharing.config import SharingSettings
from geo.sharing.exports import ExportRequest, export
from geo.store.database import Store
from tests.pages.conftest import navigation_only  # noqa: F401 - autouse fixture: run as the server does
from tests.sharing.conftest import PASSWORD, PLANTED, TAXONOMY
from tests.sharing.test_app_auth import auth_on, log_in, no_exception, start  # noqa: F401 - auth_on: autouse


def _full_export(at, fmt: str) -> bytes:
    at.radio(key="partage_complet_format").set_value(fmt).run()
    at.button(key="partage_complet_preparer").click().run()
    no_exception(at)
    labels = [d.label for d in at.get("download_button")]
    assert any(label.startswith("Télécharger veille-complet-") and label.endswith(f".{fmt}") for label in labels)
    return at.session_state["partage_complet_fichier"][1]


def test_the_coordinator_produces_the_full_export_from_the_partage_page(planted_copy, monkeypatch, tmp_path):
    now = pd.Timestamp.now(tz="Europe/Paris")
    formula = '=HYPERLINK("http://exemple.invalid","cliquez")'
    entry = FieldEntry(lat=47.322, lon=5.041, category="tags", severity=1, observed_at=now - pd.Timedelta(days=1),
                       description=formula)
    assert record_report(Store(planted_copy), entry, taxonomy=TAXONOMY, now=now).ok
    at = start(planted_copy, monkeypatch)
    log_in(at, "coord", PASSWORD)
    at.switch_page("pages/partage.py").run()
    no_exception(at)
    assert [w.value for w in at.warning if "Document interne" in w.value]
    data = _full_export(at, "csv")
    text = data.decode("utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf") and text.splitlines()[0].startswith("id;observed_at;lat;lon;")
    assert PLANTED["author"] in text and PLANTED["team"] in text  # the full data, for in-house use
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    assert "'" + formula in set(frame["description"])  # the safe CSV writer neutralised the formula
    assert not frame.map(lambda v: v.startswith("=")).any().any()
    # the same bytes as `python -m geo export --role coordinateur --from … --to …` for the page's default period
    tz = load_settings().timezone
    today = dt.date.today()
    first, end = (pd.Timestamp(today - dt.timedelta(days=89)).tz_localize(tz),
                  (pd.Timestamp(today) + pd.Timedelta(days=1)).tz_localize(tz))
    store = Store(planted_copy)
    out = tmp_path / "cli.csv"
    summary = export(store, ExportRequest(role="coordinateur", fmt="csv", start=first, end=end), out,
                     taxonomy=TAXONOMY, settings=load_settings(db_url=planted_copy), sharing=SharingSettings(),
                     by="cli")
    assert out.read_bytes() == data and summary["reports"] == len(text.strip().splitlines()) - 1
    entries = [e for e in accounts.read_audit(store) if e["action"] == "export"]
    assert any(e["login"] == "coord" and e["detail"].startswith("coordinateur") for e in entries)
    # another format: a standalone HTML map of the full data
    page = _full_export(at, "html").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Document interne" in page
