"""Play the attacker: from every number a partner can take away for a period, recompute a masked count.

The attacker reads every partner export of one period (HTML map and its tables, CSV figures and items,
GeoJSON and GeoPackage items, GeoPackage quartiers, PDF bulletin), writes down every published figure as a
linear constraint on the unknown counts x[quartier, column] (columns: reports ⊇ open ⊇ open for more than
10 days), counts the listed items per quartier and state, and asks an integer program for the smallest and the
largest value of each cell shown « < 3 ». A cell is recovered when both are equal.

The unknowns are the numbers of reports of each group (quartier × class: closed, open for at most 10 days, open
for more); a cell is the sum of its classes. The attacker knows the publication rule, hence how each group is
listed — with its quartier (then it is complete), without it (it adds to the count of items listed without a
quartier), or not at all — which it could work out from the published table; the test takes it from the view
(``figures.listing``; code without it lists every group with its quartier). Everything else comes from the files.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pypdf
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.settings import load_settings
from geo.sharing.config import SharingSettings
from geo.sharing.exports import ExportRequest, export
from geo.sharing.period_view import fixed_partner_view
from geo.sharing.periods import FixedPeriod, available_periods, first_report_month
from geo.sharing.scope import partner_scope
from geo.store.database import Store
from tests.pages.conftest import navigation_only  # noqa: F401 - autouse fixture: run as the server does
from tests.sharing.conftest import PARTNER, PASSWORD, TAXONOMY

COLUMNS = ("Signalements", "Ouverts", "Ouverts depuis plus de 10 jours")
MASKED = "< 3"


def _exports(store: Store, partner: str, period: FixedPeriod, folder: Path, *, now: pd.Timestamp) -> dict[str, Path]:
    out = {}
    for fmt in ("html", "csv", "geojson", "gpkg", "pdf"):
        out[fmt] = folder / f"{partner}.{fmt}"
        export(store, ExportRequest(role="partenaire", fmt=fmt, partner_id=partner, period=period), out[fmt],
               taxonomy=TAXONOMY, settings=load_settings(db_url=store.url), sharing=SharingSettings(), by="attaque",
               now=now)
    return out


class Knowledge:
    """Everything the attacker learnt: labels of cells, totals, listed items."""

    def __init__(self) -> None:
        self.labels: dict[tuple[str, int], set[str]] = {}
        self.totals: dict[int, set[str]] = {}
        self.items: dict[str, tuple[str, int]] = {}  # ref -> (quartier, class: 0 closed, 1 open, 2 open > 10 d)
        self.rows: list[str] = []
        self.pdf_rows = 0

    def cell(self, quartier: str, column: int, label: object) -> None:
        label = str(label).strip()
        if quartier == "Ensemble":
            self.totals.setdefault(column, set()).add(label)
            return
        if quartier not in self.rows:
            self.rows.append(quartier)
        self.labels.setdefault((quartier, column), set()).add(label)

    def table(self, frame: pd.DataFrame) -> None:
        for _, row in frame.iterrows():
            for j, column in enumerate(COLUMNS):
                if column in frame.columns:
                    self.cell(str(row["Quartier"]), j, row[column])

    def item(self, ref: str, quartier: str, is_open: bool, age: float | None) -> None:
        late = bool(is_open and age is not None and not pd.isna(age) and float(age) > 10)
        self.items[ref] = (quartier, int(bool(is_open)) + int(late))


def _map_figures(k: Knowledge, page: str) -> int:
    """Read the quartiers' tooltips of a partner map; return how many quartiers it has."""
    data = json.loads(re.search(r"var data = (\{.*?\});\n", page).group(1))
    for feature in data["quartiers"]["features"]:
        name, *lines = feature["properties"]["lines"]
        for line in lines:
            label, value = line.split(" : ", 1)
            k.cell(name, {"Signalements": 0, "Ouverts": 1}[label], value)
    return len(data["quartiers"]["features"])


def _open_items(k: Knowledge, frame: pd.DataFrame) -> None:
    for row in frame.itertuples(index=False):
        k.item(str(row[0]), str(row[2]), True, float(row[6]))


def _read_everything(files: dict[str, Path]) -> Knowledge:
    k = Knowledge()
    # CSV: figures, an empty line, the items
    text = files["csv"].read_bytes().decode("utf-8-sig")
    figures_text, items_text = text.split("\r\n\r\n", 1)
    k.table(pd.read_csv(io.StringIO(figures_text), sep=";", dtype=str, keep_default_na=False))
    items = pd.read_csv(io.StringIO(items_text), sep=";", dtype=str, keep_default_na=False)
    for row in items.itertuples(index=False):
        age = float(row.attente_jours) if row.attente_jours else None
        k.item(row.reference, row.quartier, row.ouvert == "oui", age)
    # HTML: the map's tooltips and the two tables
    page = files["html"].read_text(encoding="utf-8")
    _map_figures(k, page)
    tables = pd.read_html(io.StringIO(page), keep_default_na=False)
    k.table(tables[0].astype(str))
    if len(tables) > 1:
        _open_items(k, tables[1])
    # GeoJSON and GeoPackage: the items as points, the quartiers with their figures
    for frame in (gpd.read_file(files["geojson"]), gpd.read_file(files["gpkg"], layer="signalements")):
        for row in frame.itertuples(index=False):
            age = row.attente_jours
            k.item(str(row.reference), str(row.quartier), row.ouvert == "oui", None if age is None else age)
    quartiers = gpd.read_file(files["gpkg"], layer="quartiers")
    for row in quartiers.itertuples(index=False):
        for j, value in enumerate((row.signalements, row.ouverts, row.ouverts_plus_10_jours)):
            k.cell(str(row.quartier), j, value)
    # PDF: its table of figures, row by row, as text
    pdf = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(files["pdf"]).pages)
    figure = r" (\d+|< 3|≥ \d+|masqué)"
    for quartier in k.rows:
        match = re.search(re.escape(quartier) + figure * 3, pdf)
        if match:
            k.pdf_rows += 1
            for j in range(3):
                k.cell(quartier, j, match.group(j + 1))
    return k


def _ranges(k: Knowledge, listing: dict[tuple[str, int], str]) -> dict[tuple[str, int], tuple[int, int]]:
    """Return the feasible (min, max) of every cell shown « < 3 » anywhere.

    ``listing``: (quartier, class) -> ``listed``, ``pooled``, ``withheld`` or ``partial`` (a period made of
    months, each listing the group its own way: the listed items are a part of the group).
    """
    rows, cols = k.rows, len(COLUMNS)
    size = len(rows) * cols
    g = lambda r, j: r * cols + j  # noqa: E731 - index of the unknown count of group (row r, class j)
    low, high = np.zeros(size), np.full(size, np.inf)
    rows_a: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def constraint(coefs: dict[int, float], a: float, b: float) -> None:
        row = np.zeros(size)
        for i, v in coefs.items():
            row[i] += v
        rows_a.append(row)
        lo.append(a)
        hi.append(b)

    def cell(r: int, c: int) -> dict[int, float]:
        return {g(r, j): 1 for j in range(c, cols)}

    for (quartier, c), labels in k.labels.items():
        for label in labels:
            if label.isdigit():
                constraint(cell(rows.index(quartier), c), int(label), int(label))
            elif label == MASKED:
                constraint(cell(rows.index(quartier), c), 1, 2)
            elif label == "masqué":  # a complementary cell: not small, not 0
                constraint(cell(rows.index(quartier), c), 3, np.inf)
            elif label.startswith("≥ "):  # a cell of a period made of months, known from below
                constraint(cell(rows.index(quartier), c), int(label[2:]), np.inf)
            else:
                raise AssertionError(f"unexpected published figure {label!r} for {quartier}")
    for c, labels in k.totals.items():
        for label in labels:
            every = {i: v for r in range(len(rows)) for i, v in cell(r, c).items()}
            if label.isdigit():
                constraint(every, int(label), int(label))
            elif label.startswith("≥ "):
                constraint(every, int(label[2:]), np.inf)
    visible = np.zeros((len(rows), cols), dtype=int)
    pooled = np.zeros(cols, dtype=int)
    for quartier, klass in k.items.values():
        if quartier in rows:
            visible[rows.index(quartier), klass] += 1
        else:
            pooled[klass] += 1
    for j in range(cols):
        members = []
        for r, quartier in enumerate(rows):
            how = listing.get((quartier, j), "listed")
            if how == "listed":
                low[g(r, j)] = high[g(r, j)] = visible[r, j]
            elif how == "partial":
                low[g(r, j)] = visible[r, j]
            else:
                assert visible[r, j] == 0, f"{quartier}: items of a {how} group listed with their quartier"
                if how == "pooled":
                    members.append(g(r, j))
        if members:
            constraint(dict.fromkeys(members, 1), pooled[j], pooled[j])
        elif "partial" not in listing.values():
            assert pooled[j] == 0, "items listed without a quartier while no group is pooled"
    a = np.array(rows_a)
    result = {}
    for (quartier, c), labels in k.labels.items():
        if MASKED not in labels:
            continue
        target = np.zeros(size)
        for i in cell(rows.index(quartier), c):
            target[i] = 1
        found = []
        for sign in (1, -1):
            res = milp(sign * target, integrality=np.ones(size), bounds=Bounds(low, high),
                       constraints=LinearConstraint(a, lo, hi))
            assert res.status == 0, f"the attacker's system has no solution: {res.message}"
            found.append(round(float(target @ res.x)))
        result[quartier, c] = (found[0], found[1])
    return result


def _listing(store: Store, partner: str, period: FixedPeriod, now: pd.Timestamp) -> dict:
    view = fixed_partner_view(store, partner_scope(store, partner, taxonomy=TAXONOMY), period, taxonomy=TAXONOMY,
                              settings=SharingSettings(), now=now)
    if len(period.months()) > 1:
        return {(name, j): "partial" for _, name in view.rows for j in range(len(COLUMNS))}
    names = ("listed", "pooled", "withheld")
    return {(name, j): names[int(view.figures.listing[r, j])] for r, (_, name) in enumerate(view.rows)
            for j in range(len(COLUMNS))}


def _period(store: Store, which: str, now: pd.Timestamp, partner: str = PARTNER) -> FixedPeriod:
    """Return a fixed period a partner may choose: ``KIND-K`` (the K-th completed one back), ``tout``, or
    ``mois-masque``: the latest month where the partner's table holds a count « < 3 »."""
    offered = available_periods(first_report_month(store, timezone="Europe/Paris"), now=now, timezone="Europe/Paris")
    kind, _, back = which.partition("-")
    if back != "masque":
        return offered[kind][int(back or 0)]
    scope = partner_scope(store, partner, taxonomy=TAXONOMY)
    for period in offered[kind]:
        view = fixed_partner_view(store, scope, period, taxonomy=TAXONOMY, settings=SharingSettings(), now=now)
        if any(view.figures.label(i, j) == MASKED for i in range(len(view.rows)) for j in range(len(COLUMNS))):
            return period
    raise AssertionError(f"no month of the planted store holds a masked count for {partner}")


# (partner, period): fixed periods a partner may choose — single months (each protected by its own table) and
# periods made of months (derived from them). The planted store exercises pooled and withheld items there.
CASES = [("ville-eclairage", "tout"), ("ccas", "tout"), ("divia", "mois-masque"), ("ville-voirie", "mois-2"),
         ("police-municipale", "mois-masque"), ("ville-proprete", "mois-1"), ("ville-proprete", "trimestre-0"),
         ("police-municipale", "annee-0")]


@pytest.mark.parametrize(("partner", "which"), CASES)
def test_no_masked_count_can_be_recomputed_from_everything_a_partner_takes_away(planted_db, tmp_path, partner,
                                                                               which):
    store = Store(planted_db)
    now = pd.Timestamp.now(tz="Europe/Paris")
    period = _period(store, which, now, partner)
    knowledge = _read_everything(_exports(store, partner, period, tmp_path, now=now))
    assert knowledge.pdf_rows == len(knowledge.rows)  # every source was read
    assert knowledge.items or period.kind == "mois"  # over a month a small partner's items may all be withheld
    ranges = _ranges(knowledge, _listing(store, partner, period, now))
    assert ranges, "this period should hold masked counts"
    recovered = {f"{q} / {COLUMNS[c]}": lo for (q, c), (lo, hi) in ranges.items() if lo == hi}
    assert not recovered, f"masked counts recomputed by the attacker: {recovered}"
    assert all((lo, hi) == (1, 2) for lo, hi in ranges.values()), ranges


def test_the_partner_session_adds_nothing_that_recomputes_a_masked_count(planted_db, tmp_path, monkeypatch):
    """The partner's own pages (AppTest, logged in as the partner) with the files of the same period."""
    from tests.sharing.test_app_auth import log_in, start

    monkeypatch.setenv("VEILLE_AUTH", "on")
    at = start(planted_db, monkeypatch)
    log_in(at, "mairie", PASSWORD)
    assert not at.exception
    store = Store(planted_db)
    now = pd.Timestamp.now(tz="Europe/Paris").floor("D")  # the page's views are those of the start of the day
    period = _period(store, "mois-0", now)  # the page's default period: the last completed month
    assert at.selectbox(key="partenaire_periode_mois").value == period.code
    assert any(f"Période : {period.label}" in m.value for m in at.markdown)
    knowledge = _read_everything(_exports(store, PARTNER, period, tmp_path, now=now))
    shown = at.dataframe[0].value
    assert shown.astype(str).equals(pd.read_csv(io.StringIO(tmp_path.joinpath(f"{PARTNER}.csv").read_bytes()
                                                           .decode("utf-8-sig").split("\r\n\r\n")[0]),
                                                sep=";", dtype=str, keep_default_na=False))
    knowledge.table(shown.astype(str))
    if len(at.dataframe) > 1:
        _open_items(knowledge, at.dataframe[1].value)
    maps = [json.loads(c.proto.json_args).get("script", "") for c in at.get("component_instance")]
    assert sum(_map_figures(knowledge, script) for script in maps if "var data = " in script) >= 5
    ranges = _ranges(knowledge, _listing(store, PARTNER, period, now))
    assert ranges and all(lo < hi for lo, hi in ranges.values()), ranges
