"""The activity report: every figure checked by hand on a small fixture with known dates; CSV, JSON and PDF."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from pypdf import PdfReader

from geo.cli.main import main
from geo.ingest.importer import import_file
from geo.workflow.activity import METRICS, activity_json, compute_activity, period_bounds, summary_text
from geo.workflow.activity_pdf import activity_pdf
from geo.workflow.imported import record_import_history
from geo.workflow.lifecycle import change_status
from geo.workflow.routing import load_registry_files
from tests.conftest import NORTH_POINT, SOUTH_POINT

TZ = "Europe/Paris"
PARTNERS = ("id;name;type;emails;target_days\nville;Ville de Test;ville;v@ville.example;5\n"
            "bailleur;Bailleur de Test;bailleur;b@bailleur.example;2\n")
ROUTING = "category;neighbourhood;partner\ntags;*;ville\nparties_communes;*;bailleur\n"
N, S = NORTH_POINT, SOUTH_POINT
# id, observed (Paris), category, place, then the changes (status, Paris time)
FIXTURE = [
    ("r1", "02/02/2026 10:00", "tags", N, [("transmis", "2026-02-03 10:00"), ("pris_en_charge", "2026-02-04 10:00"),
                                           ("resolu", "2026-02-06 10:00")]),
    ("r2", "03/02/2026 08:00", "tags", N, [("transmis", "2026-02-03 20:00"), ("resolu", "2026-02-13 08:00")]),
    ("r3", "05/02/2026 12:00", "tags", S, [("transmis", "2026-02-08 12:00")]),
    ("r4", "10/02/2026 09:00", "parties_communes", S, [("transmis", "2026-02-10 15:00"),
                                                       ("pris_en_charge", "2026-02-11 09:00"),
                                                       ("resolu", "2026-02-11 21:00")]),
    ("r5", "12/02/2026 10:00", "rodeo", N, []),
    ("r6", "20/01/2026 10:00", "tags", N, [("transmis", "2026-01-21 10:00")]),  # before the period
    ("r7", "25/02/2026 10:00", "tags", N, [("transmis", "2026-02-26 10:00"), ("resolu", "2026-03-03 10:00")]),
]
NOW = pd.Timestamp("2026-03-10 12:00", tz=TZ)


@pytest.fixture
def store(tmp_store, taxonomy, tmp_path):
    (tmp_path / "p.csv").write_text(PARTNERS, encoding="utf-8")
    (tmp_path / "r.csv").write_text(ROUTING, encoding="utf-8")
    load_registry_files(tmp_store, tmp_path / "p.csv", tmp_path / "r.csv", taxonomy=taxonomy)
    lines = ["id;date;latitude;longitude;categorie"] + [f"{rid};{when};{p[0]};{p[1]};{cat}"
                                                      for rid, when, cat, p, _ in FIXTURE]
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(tmp_store, tmp_path / "s.csv", taxonomy=taxonomy)
    for rid, _, _, _, changes in FIXTURE:
        for status, when in changes:
            change_status(tmp_store, f"import:{rid}", status, at=pd.Timestamp(when, tz=TZ), now=NOW)
    return tmp_store


def february(store, taxonomy, by):
    start, end = period_bounds("2026-02-01", "2026-02-28", timezone=TZ)
    return compute_activity(store, start=start, end=end, by=by, taxonomy=taxonomy, timezone=TZ)


def test_period_bounds_are_local_days():
    start, end = period_bounds("2026-02-01", "2026-02-28", timezone=TZ)
    assert start == pd.Timestamp("2026-01-31T23:00Z") and end == pd.Timestamp("2026-02-28T23:00Z")


def test_totals_by_hand(store, taxonomy):
    total = february(store, taxonomy, "registre").total
    # r1 r2 r3 r4 r5 r7 observed in February; r1 r2 r3 r4 r7 relayed; r1 r4 taken up; r1 r2 r4 resolved by the end
    # (r7 is resolved in March, after the period)
    assert (total["reports"], total["relayed"], total["taken_up"], total["resolved"]) == (6, 5, 2, 3)
    # days to relay: 1, 0.5, 3, 0.25, 1 -> median 1; p90 at rank 3.6 of [0.25, 0.5, 1, 1, 3] = 1 + 0.6 * 2
    assert total["median_days_to_relay"] == 1.0
    assert total["p90_days_to_relay"] == 2.2
    # days to resolve: r1 4, r2 10, r4 1.5 -> median 4; p90 at rank 1.8 of [1.5, 4, 10] = 4 + 0.8 * 6
    assert total["median_days_to_resolve"] == 4.0
    assert total["p90_days_to_resolve"] == 8.8
    # relay -> resolve against the target: r1 3 d of 5 ok; r2 9.5 d of 5 late; r3 open 20.5 d at the end, late;
    # r4 1.25 d of 2 ok; r7 open 2.6 d at the end, ok -> 2 of 5
    assert total["overdue_share"] == 0.4


def test_by_partner_by_hand(store, taxonomy):
    table = february(store, taxonomy, "partner").table
    assert table.loc["ville", ["reports", "relayed", "taken_up", "resolved"]].tolist() == [4, 4, 1, 2]
    assert table.loc["ville", "median_days_to_relay"] == 1.0  # [0.5, 1, 1, 3]
    assert table.loc["ville", "p90_days_to_relay"] == 2.4  # rank 2.7: 1 + 0.7 * 2
    assert table.loc["ville", "median_days_to_resolve"] == 7.0  # [4, 10]
    assert table.loc["ville", "p90_days_to_resolve"] == 9.4  # rank 0.9: 4 + 0.9 * 6
    assert table.loc["ville", "overdue_share"] == 0.5
    assert table.loc["bailleur", METRICS[:4]].tolist() == [1, 1, 1, 1]
    assert table.loc["bailleur", "median_days_to_relay"] == 0.25
    assert table.loc["bailleur", "p90_days_to_resolve"] == 1.5
    assert table.loc["bailleur", "overdue_share"] == 0.0
    assert table.loc["sans_partenaire", ["reports", "relayed"]].tolist() == [1, 0]
    assert pd.isna(table.loc["sans_partenaire", "overdue_share"])


def test_by_quartier_registre_and_month(store, taxonomy):
    places = february(store, taxonomy, "neighbourhood").table
    assert places["reports"].to_dict() == {"nord": 4, "sud": 2}
    assert places.loc["sud", "overdue_share"] == 0.5  # r3 late, r4 on time
    registres = february(store, taxonomy, "registre").table
    assert registres["reports"].to_dict() == {"presence_active": 1, "veille_technique": 5}
    months = february(store, taxonomy, "month")
    assert months.table["reports"].to_dict() == {"2026-02": 6}
    assert months.labels == {"2026-02": "février 2026"}


def test_statuses_without_date_count_but_not_in_delays(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(f"date;latitude;longitude;categorie;statut\n02/02/2026 10:00;{N[0]};{N[1]};tags;resolu\n",
                    encoding="utf-8")
    summary = import_file(tmp_store, path, taxonomy=taxonomy)
    record_import_history(tmp_store, summary.batch_id)
    start, end = period_bounds("2026-02-01", "2026-02-28", timezone=TZ)
    # the history entry is dated at import (now), after the period: as of the end, not yet resolved
    total = compute_activity(tmp_store, start=start, end=pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1),
                             taxonomy=taxonomy).total
    assert (total["reports"], total["resolved"], total["median_days_to_resolve"]) == (1, 1, None)
    assert compute_activity(tmp_store, start=start, end=end, taxonomy=taxonomy).total["resolved"] == 0


def test_json_keys_and_cli(capsys, store, tmp_path):
    code = main(["--db", store.url, "report", "--from", "2026-02-01", "--to", "2026-02-28", "--by", "partner",
                 "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out.strip().splitlines()[-1])
    assert set(data["groups"]) == {"ville", "bailleur", "sans_partenaire"}
    for figures in data["groups"].values():
        assert list(figures) == ["reports", "relayed", "taken_up", "resolved", "median_days_to_relay",
                                 "p90_days_to_relay", "median_days_to_resolve", "p90_days_to_resolve",
                                 "overdue_share"]
    assert data["groups"]["ville"]["p90_days_to_resolve"] == 9.4
    assert isinstance(data["groups"]["ville"]["reports"], int)
    out_csv = tmp_path / "bilan.csv"
    code = main(["--db", store.url, "report", "--from", "2026-02-01", "--to", "2026-02-28", "--format", "csv",
                 "--out", str(out_csv)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["total"]["reports"] == 6
    rows = list(csv.DictReader(io.StringIO(out_csv.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert rows[-1]["Registre"] == "Total" and rows[-1]["reports"] == "6"
    assert {r["code"]: r["reports"] for r in rows[:-1]} == {"presence_active": "1", "veille_technique": "5"}
    code = main(["--db", store.url, "report", "--from", "2026-02-01", "--to", "2026-02-28", "--format", "pdf"])
    _, err = capsys.readouterr()
    assert code == 2 and "--out" in err


def test_pdf_holds_title_period_and_figures(store, taxonomy, tmp_path):
    activity = february(store, taxonomy, "partner")
    path = tmp_path / "bilan.pdf"
    code = main(["--db", store.url, "report", "--from", "2026-02-01", "--to", "2026-02-28", "--by", "partner",
                 "--format", "pdf", "--out", str(path), "--structure", "Pimms Médiation Dijon"])
    assert code == 0
    assert path.read_bytes()[:5] == b"%PDF-"
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())
    assert "Bilan d'activité — Pimms Médiation Dijon" in text
    assert "Période du 01/02/2026 au 28/02/2026" in text
    assert "Ville de Test" in text and "Bailleur de Test" in text
    # ville: 4 4 1 2, delays 1,0 2,4 7,0 9,4, late 50 %; total: 6 5 2 3, 1,0 2,2 4,0 8,8, 40 %
    assert "4 4 1 2 1,0 2,4 7,0 9,4 50 %" in text
    assert "Total 6 5 2 3 1,0 2,2 4,0 8,8 40 %" in text
    assert "Bailleur de Test 1 1 1 1 0,3 0,3 1,5 1,5 0 %" in text  # 0.25 rounded half up
    assert "Sans partenaire 1 0 0 0 n.d. n.d. n.d. n.d. n.d." in text
    assert summary_text(activity, timezone=TZ).split(" ; ")[0] in text
    assert activity_pdf(activity, structure="X")[:5] == b"%PDF-"


def test_summary_text_says_the_main_figures(store, taxonomy):
    text = summary_text(february(store, taxonomy, "partner"), timezone=TZ)
    assert text.startswith("Du 01/02/2026 au 28/02/2026, 6 signalements ont été enregistrés ; 5 ont été transmis")
    assert "3 résolus (50 %)" in text and "Délai médian de transmission : 1,0 j" in text
    assert "40 % des signalements transmis" in text
    assert "Partenaire le plus concerné : Ville de Test (4 signalements)" in text
    data = activity_json(february(store, taxonomy, "month"), timezone=TZ)
    assert (data["from"], data["to"]) == ("2026-02-01", "2026-02-28")
