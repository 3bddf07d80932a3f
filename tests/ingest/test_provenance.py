"""The imported file is kept with its batch, compressed, and comes back byte for byte."""

from __future__ import annotations

import zlib

from geo.ingest.provenance import compress_file, restore_file


def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def keep(store, parts, name="export.csv"):
    with store.transaction() as conn:
        batch_id = store.begin_batch(conn, source_name=name, content_hash="h", source_format="csv")
        store.insert_source_parts(conn, batch_id, parts)
    return batch_id


def test_a_kept_file_is_restored_byte_for_byte_across_parts(tmp_store, tmp_path):
    original = tmp_path / "export.csv"
    original.write_bytes(("date;catégorie\n" + "01/10/2026;tags\n" * 5000).encode("cp1252"))
    parts = compress_file(original, part_bytes=20_000)
    assert len(parts) == 5 and sum(map(len, parts)) < original.stat().st_size / 10
    restored = restore_file(tmp_store, keep(tmp_store, parts), out(tmp_path))
    assert restored.name == "export.csv" and restored.read_bytes() == original.read_bytes()


def test_files_kept_by_earlier_versions_in_zlib_are_still_restored(tmp_store, tmp_path):
    data = b"date;categorie\n" + b"2026-10-01;tags\n" * 1000
    parts = [zlib.compress(data[:7000], 1), zlib.compress(data[7000:], 1)]
    restored = restore_file(tmp_store, keep(tmp_store, parts), out(tmp_path))
    assert restored.read_bytes() == data


def test_a_batch_without_a_kept_file_restores_nothing(tmp_store, tmp_path):
    assert restore_file(tmp_store, keep(tmp_store, []), tmp_path) is None
    assert restore_file(tmp_store, 999, tmp_path) is None
