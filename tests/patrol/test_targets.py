from datetime import time

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


def test_hotspots_unavailable_is_a_clear_error():
    pytest.importorskip("geo.patrol.targets")
    try:
        import geo.analysis.hotspots  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match=HOTSPOTS_UNAVAILABLE):
            targets_from_hotspots()
    else:
        pytest.skip("the hot-spot analysis is present: see test_sources")
