"""Backup and restore of a whole store, on each backend: reports, history, kept files and photos come back."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from PIL import Image

from geo.errors import StoreError
from geo.ingest.entry import FieldEntry, record_report
from geo.ingest.importer import import_file
from geo.ingest.provenance import raw_row
from geo.store.backup import backup_store, restore_store
from geo.store.database import Store
from geo.store.snapshot import ensure_snapshot, read_snapshot
from geo.workflow.photos import add_photo, list_photos
from tests.conftest import FIXTURES, NORTH_POINT

NOW = pd.Timestamp("2026-03-10 12:00", tz="Europe/Paris")


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def _field_report(store: Store, taxonomy, text: str) -> str:
    entry = FieldEntry(lat=NORTH_POINT[0], lon=NORTH_POINT[1], category="tags",
                       observed_at=NOW - pd.Timedelta(hours=2), description=text)
    result = record_report(store, entry, taxonomy=taxonomy, now=NOW)
    assert not result.errors
    return result.report_id


def test_backup_then_restore_brings_everything_back(tmp_store, taxonomy, tmp_path):
    summary = import_file(tmp_store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    ids = tmp_store.read_reports(columns=["id", "batch_id"])
    imported_id = ids.loc[ids["batch_id"] == summary.batch_id, "id"].iloc[0]
    kept_row = raw_row(tmp_store, imported_id)
    field_id = _field_report(tmp_store, taxonomy, "avant la sauvegarde")
    add_photo(tmp_store, field_id, _jpeg(), filename="tag.jpg")
    before = tmp_store.read_reports(columns=["id", "status", "neighbourhood"]).sort_values("id").reset_index(drop=True)
    backup = tmp_path / "sauvegarde.bak"
    result = backup_store(tmp_store, backup)
    assert result.reports == len(before) and backup.stat().st_size > 0

    # the store moves on: a new report, and a snapshot of that newer content
    _field_report(tmp_store, taxonomy, "après la sauvegarde")
    newer = ensure_snapshot(tmp_store)
    assert len(read_snapshot(newer)) == len(before) + 1

    restored = restore_store(tmp_store, backup)
    store = Store(tmp_store.url)
    assert restored.reports == len(before)
    after = store.read_reports(columns=["id", "status", "neighbourhood"]).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(after, before)
    assert raw_row(store, imported_id) == kept_row  # the kept source file came back
    assert len(list_photos(store, field_id)) == 1  # and the photo
    # never a stale snapshot: the data version went past the newer content's
    assert len(read_snapshot(ensure_snapshot(store))) == len(before)


def test_backup_never_overwrites_and_restore_refuses_other_files(tmp_store, tmp_path):
    existing = tmp_path / "deja.bak"
    existing.write_bytes(b"x")
    with pytest.raises(StoreError, match="existe déjà"):
        backup_store(tmp_store, existing)
    with pytest.raises(StoreError, match="n'existe pas"):
        backup_store(tmp_store, tmp_path / "absent" / "s.bak")
    with pytest.raises(StoreError, match="n'est pas une"):
        restore_store(tmp_store, existing)


def test_backup_and_restore_commands(tmp_store, taxonomy, tmp_path, capsys):
    import json

    from geo.cli.main import main

    _field_report(tmp_store, taxonomy, "à garder")
    path = tmp_path / "s.bak"
    assert main(["--db", tmp_store.url, "backup", str(path)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["reports"] == 1 and summary["path"] == str(path)
    _field_report(tmp_store, taxonomy, "à oublier")
    assert main(["--db", tmp_store.url, "restore", str(path), "--yes"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["reports"] == 1
    assert main(["--db", tmp_store.url, "backup", str(path)]) == 2  # never overwritten
    assert "existe déjà" in capsys.readouterr().err
