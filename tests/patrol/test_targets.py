from datetime import time

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.patrol.targets import (
    HOTSPOTS_UNAVAILABLE,
    parse_targets,
    read_targets,
    targets_from_hotspots,
    targets_from_overdue,
    with_priorities,
)


def test_csv_with_and_without_windows():
    data = ("name;lat;lon;priority;window_start;window_end\n"
            "École;47,325;5,03;5;16:15;16:45\n"
            "Arrêt de bus;47.338;5.055;3;;\n").encode("cp1252")
    school, bus = parse_targets(data, source="lieux.csv")
    assert (school.name, school.lat, school.lon, school.priority) == ("École", 47.325, 5.03, 5.0)
    assert (school.window_start, school.window_end) == (time(16, 15), time(16, 45))
    assert "16:15" in school.reason and school.kind == "lieu"
    assert bus.window_start is None and bus.priority == 3


def test_csv_four_columns_without_header(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("Hall B;47.31;5.06;2\n", encoding="utf-8")
    [hall] = read_targets(path)
    assert hall.name == "Hall B" and hall.window_start is None


def test_geojson_targets():
    data = ('{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point",'
            '"coordinates":[5.03,47.325]},"properties":{"name":"École","priority":4,"window_start":"16h15",'
            '"window_end":"16h45"}}]}').encode()
    [school] = parse_targets(data, source="lieux.geojson")
    assert (school.lat, school.lon, school.priority, school.window_start) == (47.325, 5.03, 4.0, time(16, 15))


@pytest.mark.parametrize(("content", "message"), [
    ("École;47.3;5.0\n", "attendu name;lat;lon;priority"),
    ("École;abc;5.0;1\n", "la latitude doit être un nombre"),
    ("École;147.3;5.0;1\n", "coordonnées hors limites"),
    ("École;47.3;5.0;-1\n", "la priorité doit être positive"),
    ("École;47.3;5.0;1;16:15;\n", "un créneau demande un début et une fin"),
    ("École;47.3;5.0;1;17:00;16:00\n", "fin du créneau"),
    ("École;47.3;5.0;1;midi;16:00\n", "heure attendue au format HH:MM"),
    ("name;lat;lon;priority\n", "aucun lieu trouvé"),
])
def test_bad_target_files_say_what_was_expected(content, message):
    with pytest.raises(InputError, match=message):
        parse_targets(content.encode(), source="lieux.csv")


def test_overdue_reports_oldest_first_open_only():
    now = pd.Timestamp("2026-12-04 14:00", tz="Europe/Paris")
    reports = pd.DataFrame({
        "id": ["r1", "r2", "r3", "r4"],
        "observed_at": [now - pd.Timedelta(days=d) for d in (3, 30, 10, 60)],
        "lat": [47.3, 47.31, 47.32, 47.33], "lon": [5.0, 5.01, 5.02, 5.03],
        "category": ["tag", "tag", "rodeo", "tag"], "severity": [2, 2, 4, 2],
        "status": ["nouveau", "transmis", "nouveau", "resolu"],
    })
    targets = targets_from_overdue(reports, open_statuses=frozenset({"nouveau", "transmis"}), now=now,
                                   labels={"tag": "Tag", "rodeo": "Rodéo"},
                                   status_labels={"transmis": "Transmis au partenaire"})
    assert [t.ref for t in targets] == ["r2", "r3", "r1"]
    assert "30 jours" in targets[0].reason and "statut : Transmis au partenaire" in targets[0].reason
    assert targets[0].priority > targets[2].priority  # waited longer
    assert targets[1].name == "Rodéo (r3)"
    assert targets_from_overdue(reports, open_statuses=frozenset({"nouveau"}), now=now, limit=1)[0].ref == "r3"


def test_priorities_can_be_changed():
    [a, b] = parse_targets(b"a;47.3;5.0;1\nb;47.31;5.0;2\n", source="x.csv")
    changed = with_priorities([a, b], {a.key: 7})
    assert [t.priority for t in changed] == [7, 2]


def test_hotspots_unavailable_is_a_clear_error(tmp_store, monkeypatch):
    import builtins

    from geo.patrol.sources import hotspot_targets
    from geo.settings import load_settings

    real_import = builtins.__import__

    def no_hotspots(name, *args, **kwargs):
        if name == "geo.analysis.hotspots":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hotspots)
    with pytest.raises(InputError, match=HOTSPOTS_UNAVAILABLE):
        hotspot_targets(tmp_store, settings=load_settings(db_url=tmp_store.url),
                        now=pd.Timestamp("2026-12-04 14:00", tz="Europe/Paris"))


def test_hot_cells_become_targets_at_their_busiest_point():
    from geo.patrol.walking import to_lambert93

    cells = pd.DataFrame({"class": ["not_significant", "hot_95", "hot_99", "hot_90", "cold_99"],
                          "count": [3, 12, 9, 0, 0]}, index=["a", "b", "c", "d", "e"])
    centres = to_lambert93([(47.30, 5.00), (47.31, 5.01), (47.32, 5.02), (47.33, 5.03), (47.34, 5.04)])
    # cell b: a cluster of three reports and one stray; cell c: two reports; cell d: none (hot by neighbours)
    points = [(47.3100, 5.0100), (47.3101, 5.0101), (47.3102, 5.0100), (47.3120, 5.0130), (47.32, 5.02),
              (47.3201, 5.0201), (47.30, 5.00)]
    cell_of_report = np.array([1, 1, 1, 1, 2, 2, 0])
    targets = targets_from_hotspots(cells, cell_of_report=cell_of_report, report_xy=to_lambert93(points),
                                    cell_xy=centres, weeks=8)
    assert [t.ref for t in targets] == ["point_chaud:c", "point_chaud:b", "point_chaud:d"]
    assert [t.priority for t in targets] == [5.0, 4.0, 3.0]
    assert all(t.kind == "point_chaud" for t in targets)
    b = targets[1]
    assert (b.lat, b.lon) in {(47.31, 5.01), (47.3101, 5.0101), (47.3102, 5.01)}  # in the cluster, not the stray
    d = targets[2]
    assert (d.lat, d.lon) == pytest.approx((47.33, 5.03), abs=1e-5)  # the centre
    assert "confiance 95 %" in b.reason and "12 signalements" in b.reason and "8 semaines" in b.reason
    assert len(targets_from_hotspots(cells, cell_of_report=cell_of_report, report_xy=to_lambert93(points),
                                     cell_xy=centres, weeks=8, limit=1)) == 1
