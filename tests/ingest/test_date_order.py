"""The order of day and month is decided for a whole time column, never mixed, and said when it is a guess."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.ingest.formats import detect_mapping
from geo.ingest.importer import import_file
from geo.ingest.pipeline import ValidationJob, validate_chunks
from geo.ingest.timeparse import DAY_FIRST, MONTH_FIRST, OrderEvidence, order_evidence, parse_times
from geo.store import schema
from geo.store.staging import read_staged
from tests.conftest import NORTH_POINT

NOW = pd.Timestamp("2026-12-31T12:00Z")


def write(tmp_path, dates, name="export.csv"):
    path = tmp_path / name
    lines = [f"{d};{NORTH_POINT[0]};{NORTH_POINT[1]};tags;ligne {i}" for i, d in enumerate(dates)]
    path.write_text("date;latitude;longitude;categorie;description\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_dates(store) -> dict[str, str]:
    """Return each stored report's description -> its local calendar date (Europe/Paris)."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.description, schema.reports.c.observed_at)).all()
    return {d: pd.Timestamp(t, unit="s", tz="UTC").tz_convert("Europe/Paris").strftime("%Y-%m-%d") for d, t in rows}


@pytest.mark.parametrize(("values", "expected"), [
    (["25/03/2026", "03/04/2026 10:00", "2026-03-04"], OrderEvidence(day_first=1, ambiguous=1)),
    (["03/25/2026", "3/4/26", "12/31/2026 23:59"], OrderEvidence(month_first=2, ambiguous=1)),
    (["45/03/2026", "25/25/2026", "", None, "hier", "2026-03-25T10:00"], OrderEvidence()),
    (["13.01.2026", "01-13-2026"], OrderEvidence(day_first=1, month_first=1)),
])
def test_evidence_counts_what_each_value_allows(values, expected):
    assert order_evidence(pd.Series(values, dtype=object)) == expected


def test_evidence_of_arrow_backed_text_in_several_chunks():
    """pandas' ``str`` columns read from a large file are Arrow arrays of several chunks."""
    values = pd.concat([pd.Series(["03/25/2026"], dtype="str"), pd.Series(["01/02/2026", None], dtype="str")],
                       ignore_index=True)
    assert order_evidence(values) == OrderEvidence(month_first=1, ambiguous=1)


def test_the_order_of_the_column_is_the_one_most_values_require():
    assert OrderEvidence(day_first=3, month_first=1).order() == DAY_FIRST
    assert OrderEvidence(day_first=1, month_first=3).order() == MONTH_FIRST
    assert OrderEvidence(ambiguous=5).order() == DAY_FIRST  # undecided: the documented default
    assert not OrderEvidence(ambiguous=5).decided
    assert OrderEvidence().order() is None  # no numeric date at all (ISO 8601)
    assert OrderEvidence(day_first=1, month_first=3).contradicting() == 1


def test_month_first_parsing_reads_every_format_month_first():
    values = pd.Series(["03/04/2026 14:30", "03/25/2026", "3/4/26 09:05", "03-04-2026", "25/03/2026", "2026-03-04"])
    times = parse_times(values, date_order=MONTH_FIRST).dt.tz_convert("Europe/Paris")
    assert [None if pd.isna(t) else t.strftime("%m-%d") for t in times] == [
        "03-04", "03-25", "03-04", "03-04", None, "03-04"]
    with pytest.raises(ValueError, match="date_order"):
        parse_times(values, date_order="ymd")


def test_a_us_file_is_read_month_first_throughout(tmp_path, taxonomy, tmp_store):
    path = write(tmp_path, ["03/04/2026 10:00", "03/25/2026 11:00", "12/01/2026 09:00", "01/13/2026"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.quarantined) == (4, 0)
    assert stored_dates(tmp_store) == {"ligne 0": "2026-03-04", "ligne 1": "2026-03-25", "ligne 2": "2026-12-01",
                                       "ligne 3": "2026-01-13"}
    assert any("mois d'abord" in w for w in summary.warnings)
    assert tmp_store.get_batch(summary.batch_id)["options"]["mapping"]["date_order"] == MONTH_FIRST


def test_a_french_file_is_read_day_first_without_a_warning_on_order(tmp_path, taxonomy, tmp_store):
    path = write(tmp_path, ["03/04/2026 10:00", "25/03/2026 11:00"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert stored_dates(tmp_store) == {"ligne 0": "2026-04-03", "ligne 1": "2026-03-25"}
    assert not any("jour d'abord" in w or "mois d'abord" in w or "ambiguës" in w for w in summary.warnings)


def test_an_undecidable_column_is_read_day_first_and_said_so(tmp_path, taxonomy, tmp_store):
    path = write(tmp_path, ["03/04/2026 10:00", "01/02/2026", "12/11/2026"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert stored_dates(tmp_store) == {"ligne 0": "2026-04-03", "ligne 1": "2026-02-01", "ligne 2": "2026-11-12"}
    [warning] = [w for w in summary.warnings if "ambiguës" in w]
    assert "« date »" in warning and "jour d'abord" in warning and "%m/%d/%Y" in warning
    assert f"python -m geo batches remove {summary.batch_id}" in warning


def test_iso_dates_raise_no_order_warning(tmp_path, taxonomy, tmp_store):
    summary = import_file(tmp_store, write(tmp_path, ["2026-03-04 10:00", "2026-03-05"]), taxonomy=taxonomy, now=NOW)
    assert summary.stored == 2
    assert not any("ambiguës" in w or "d'abord" in w for w in summary.warnings)


def test_a_decision_late_in_the_file_applies_to_its_first_chunks(tmp_path, taxonomy, tmp_store):
    """The first chunks (2 rows each) read both ways; only the last row tells the file is month first."""
    dates = ["03/04/2026", "05/06/2026", "07/08/2026", "09/10/2026", "11/12/2026", "02/01/2026", "04/29/2026"]
    summary = import_file(tmp_store, write(tmp_path, dates), taxonomy=taxonomy, now=NOW, chunk_rows=2, workers=0)
    assert summary.stored == 7
    assert stored_dates(tmp_store)["ligne 0"] == "2026-03-04"
    assert stored_dates(tmp_store)["ligne 5"] == "2026-02-01"


def test_the_whole_column_outweighs_its_first_rows_and_nothing_is_mixed(tmp_path, taxonomy, tmp_store):
    """The first chunk decides day first; the rest of the file is month first: all of it is read month first."""
    dates = ["25/03/2026", "03/04/2026", *[f"0{m}/2{m}/2026" for m in range(1, 8)]]
    summary = import_file(tmp_store, write(tmp_path, dates), taxonomy=taxonomy, now=NOW, chunk_rows=2, workers=0)
    assert (summary.read, summary.stored, summary.quarantined) == (9, 8, 1)
    dates_by_line = stored_dates(tmp_store)
    assert dates_by_line["ligne 1"] == "2026-03-04"  # the ambiguous row of the first chunk, month first too
    assert dates_by_line["ligne 2"] == "2026-01-21"
    [rejected] = tmp_store.read_quarantine().itertuples()
    assert rejected.row_number == 2 and "mm/jj/aaaa" in rejected.reasons[0]["reason"]
    assert any("1 date(s)" in w and "jour d'abord" in w for w in summary.warnings)


def test_worker_processes_follow_the_order_decided_for_the_file(tmp_path, taxonomy, tmp_store):
    """Chunks validated in worker processes get the order decided before they start."""
    mapping = replace(detect_mapping(["date", "latitude", "longitude", "categorie"]), date_order=MONTH_FIRST)
    job = ValidationJob(mapping=mapping, taxonomy=taxonomy, territory=tmp_store.load_territory(),
                        stage_dir=str(tmp_path), now=NOW)

    def chunks():
        for index in range(4):
            if index == 1:  # wait for a worker to be up (its staging file exists): the next chunks go to workers
                deadline = time.monotonic() + 120
                while not list(tmp_path.glob("worker-*")) and time.monotonic() < deadline:
                    time.sleep(0.1)
                time.sleep(1)
            yield pd.DataFrame({"date": ["03/04/2026", "12/13/2026"], "latitude": [str(NORTH_POINT[0])] * 2,
                                "longitude": [str(NORTH_POINT[1])] * 2, "categorie": ["tags"] * 2},
                               index=[2 + 2 * index, 3 + 2 * index])

    results = list(validate_chunks(job, chunks(), workers=2))
    assert any("worker-" in Path(r.staged.path).name for r in results)
    assert sum((r.evidence for r in results), OrderEvidence()) == OrderEvidence(month_first=4, ambiguous=4)
    for result in results:
        [days] = read_staged(result.staged, result.staged.reports_table, ["observed_at"])
        local = [pd.Timestamp(t, unit="s", tz="UTC").tz_convert("Europe/Paris").strftime("%m-%d") for (t,) in days]
        assert sorted(local) == ["03-04", "12-13"], result.staged.path


def test_an_explicit_format_is_never_second_guessed(tmp_path, taxonomy, tmp_store):
    from geo.ingest.importer import ImportOptions

    path = write(tmp_path, ["03/25/2026", "03/04/2026"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW,
                          options=ImportOptions(time_format="%d/%m/%Y"))
    assert (summary.stored, summary.quarantined) == (1, 1)
    assert stored_dates(tmp_store) == {"ligne 1": "2026-04-03"}
    assert not any("d'abord" in w or "ambiguës" in w for w in summary.warnings)


def test_the_preview_reads_dates_in_the_order_the_import_will_use_and_says_it(tmp_path, taxonomy, tmp_store):
    from geo.ingest.preview import preview_file

    path = write(tmp_path, ["03/04/2026 10:00", "03/25/2026 11:00"])
    preview = preview_file(path, taxonomy=taxonomy, territory=tmp_store.load_territory())
    assert preview.mapping.date_order == MONTH_FIRST
    assert preview.rows["problèmes"].tolist() == ["", ""]
    assert any("mois d'abord" in w for w in preview.warnings)
    assert "Date d'observation ← colonne « date »" in preview.mapping_lines()
    ambiguous = preview_file(write(tmp_path, ["03/04/2026"], name="b.csv"), taxonomy=taxonomy,
                             territory=tmp_store.load_territory())
    [warning] = [w for w in ambiguous.warnings if "ambiguës" in w]
    assert "Options de lecture" in warning and "Annulez" not in warning
