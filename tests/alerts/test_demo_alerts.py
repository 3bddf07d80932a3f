"""Detection on the demo data: the planted spike alerts, quiet series stay quiet, --as-of reproduces the past."""

from __future__ import annotations

import csv
import io
import json

import pytest

from geo.alerts.registry import PUBLIC_KEYS, alert_history_rows, list_alerts, set_status
from geo.errors import InputError
from geo.store.database import Store
from tests.alerts.conftest import SPIKE_WEEK
from tests.commandline import run

STATISTICAL = {"farrington", "ears_c1", "ears_c2", "ears_c3"}
# Series the demo plants a rise in (data/README.md): the spike, the emerging hot spot, and their quartiers.
PLANTED = {("fontaine-d-ouche", "parties_communes"), ("fontaine-d-ouche", None), ("universite", "tags"),
           ("universite", None)}


def alerts_json(capsys, url: str, *argv: str) -> list[dict]:
    code, out, err = run(capsys, "--db", url, "alerts", *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])


def spike(alerts: list[dict]) -> list[dict]:
    return [a for a in alerts if (a["neighbourhood"], a["category"]) == ("fontaine-d-ouche", "parties_communes")
            and a["method"] in STATISTICAL]


def test_planted_spike_alerts_in_its_week_routed_to_its_partner(capsys, demo_url):
    alerts = alerts_json(capsys, demo_url, "--as-of", "2026-02-22")
    assert all(list(a) == list(PUBLIC_KEYS) for a in alerts)
    [alert] = spike(alerts)
    assert alert["week"] == SPIKE_WEEK
    assert alert["partner"] == "grand-dijon-habitat"  # data/routing.csv: parties_communes;*;grand-dijon-habitat
    assert alert["method"] == "farrington"
    assert alert["observed"] > alert["threshold"] > alert["expected"] > 0
    assert alert["status"] is None  # evaluated, not stored
    behind = Store(demo_url).read_reports_by_id(alert["report_ids"], columns=("id", "category", "neighbourhood",
                                                                               "observed_at"))
    assert len(behind) == alert["observed"] == len(alert["report_ids"])
    assert set(behind["category"]) == {"parties_communes"} and set(behind["neighbourhood"]) == {"fontaine-d-ouche"}


@pytest.mark.parametrize("as_of", ["2026-02-22", "2026-03-01", "2026-01-25"])
def test_quiet_series_raise_no_statistical_alert(capsys, demo_url, as_of):
    alerts = alerts_json(capsys, demo_url, "--as-of", as_of)
    raised = {(a["neighbourhood"], a["category"]) for a in alerts if a["method"] in STATISTICAL}
    assert raised <= PLANTED, raised - PLANTED
    assert ("centre-ville", "voirie") not in raised


def test_as_of_a_week_before_the_spike_shows_none(capsys, demo_url):
    assert spike(alerts_json(capsys, demo_url, "--as-of", "2026-02-15")) == []
    assert spike(alerts_json(capsys, demo_url, "--as-of", "2026-02-09")) == []


def test_detect_stores_one_open_alert_per_series_with_history(capsys, demo_url):
    first = alerts_json(capsys, demo_url, "--detect", "--as-of", "2026-02-22")
    assert {a["status"] for a in first} == {"nouvelle"}
    store = Store(demo_url)
    stored = len(list_alerts(store))
    alerts_json(capsys, demo_url, "--detect", "--as-of", "2026-02-22")
    assert len(list_alerts(store)) == stored  # deduplicated
    later = alerts_json(capsys, demo_url, "--detect", "--as-of", "2026-03-01")
    [moved] = spike(later)
    assert moved["week"] == "2026-02-23"
    open_spikes = [a for a in list_alerts(store) if a["series_key"] == "stat|fontaine-d-ouche|parties_communes"]
    assert len(open_spikes) == 1
    alert_id = open_spikes[0]["id"]
    set_status(store, [alert_id], "acquittee", by="coordination")
    with pytest.raises(InputError, match="impossible"):
        set_status(store, [alert_id], "envoyee")
    set_status(store, [alert_id], "close", by="coordination", note="traité par le bailleur")
    history = alert_history_rows(store, alert_id)
    assert [h["to_status"] for h in history] == ["nouvelle", "nouvelle", "acquittee", "close"]
    assert "2026-02-23" in history[1]["note"]
    # listing shows open alerts only; a closed alert is not raised again for its week, only for a later one
    listed = alerts_json(capsys, demo_url)
    assert spike(listed) == []
    again = alerts_json(capsys, demo_url, "--detect", "--as-of", "2026-03-01")
    assert spike(again)[0]["status"] == "close"
    assert len([a for a in list_alerts(store) if a["series_key"] == "stat|fontaine-d-ouche|parties_communes"]) == 1


def test_csv_format_has_the_same_columns(capsys, demo_url):
    code, out, _ = run(capsys, "--db", demo_url, "alerts", "--as-of", "2026-02-22", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert list(rows[0]) == list(PUBLIC_KEYS)
    assert any(r["neighbourhood"] == "fontaine-d-ouche" and r["category"] == "parties_communes"
               and r["week"] == SPIKE_WEEK for r in rows)


def test_bad_as_of_is_a_clear_error(capsys, demo_url):
    code, _, err = run(capsys, "--db", demo_url, "alerts", "--as-of", "hier")
    assert code == 2 and "--as-of" in err
