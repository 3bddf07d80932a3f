"""Play the differencing attack: subtract the figures of two or more periods a partner can reach.

Old behaviour (free dates, :func:`geo.sharing.privacy.partner_view` on any ``[start, end)``, as the partner page
and every partner export used it): the partner asks for ``[s, d)`` and ``[s, d + 1 day)``. Each table is
protected on its own, but a quartier shown exactly in both gives the count of day ``d`` by subtraction — a
count of 1 or 2 that the view of that day alone shows « < 3 ».

Now a partner reaches fixed periods only (:mod:`geo.sharing.periods`). The attacker takes every period it may
choose (every completed month, quarter and year, and « depuis le début »), writes each published figure as a
linear constraint on the unknown counts x[month, quartier, class] (classes: closed, open for at most 10 days,
open for more), adds the items each month lists (listed groups are exact, pooled groups add up to the pooled
items, withheld groups tell nothing; the attacker knows the rule, as in ``test_disclosure_attack.py``), and
asks an integer program (HiGHS) for the least and the greatest value of every cell shown « < 3 » in any of
those views. None is pinned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.errors import InputError
from geo.settings import load_settings
from geo.sharing.config import SharingSettings
from geo.sharing.disclosure import LISTED, POOLED
from geo.sharing.exports import ExportRequest, export
from geo.sharing.period_view import fixed_partner_view
from geo.sharing.periods import available_periods, first_report_month
from geo.sharing.privacy import LATE_DAYS, POOLED_NAME, partner_view, quartier_figures, read_scope
from geo.sharing.scope import partner_scope
from geo.store.database import Store
from tests.sharing.conftest import PARTNER, TAXONOMY

TZ = "Europe/Paris"
SETTINGS = SharingSettings()
COLUMNS = ("Signalements", "Ouverts", "Ouverts depuis plus de 10 jours")


def _free_view(store: Store, partner: str, start: pd.Timestamp, end: pd.Timestamp, now: pd.Timestamp):
    return partner_view(store, partner_scope(store, partner, taxonomy=TAXONOMY), taxonomy=TAXONOMY,
                        settings=SETTINGS, start=start, end=end, now=now, timezone=TZ)


def _labels(view) -> dict[str, str]:
    table = quartier_figures(view)
    return dict(zip(table["Quartier"], table["Signalements"], strict=True))


def test_two_free_periods_one_day_apart_give_a_masked_count_away_and_are_now_refused(planted_db, tmp_path):
    store = Store(planted_db)
    now = pd.Timestamp.now(tz=TZ)
    base = now.floor("D") - pd.Timedelta(days=60)
    found = None
    for partner in ("ville-proprete", PARTNER, "ccas"):
        before = _labels(_free_view(store, partner, base, base + pd.Timedelta(days=1), now))
        for k in range(1, 59):
            day = base + pd.Timedelta(days=k)
            after = _labels(_free_view(store, partner, base, day + pd.Timedelta(days=1), now))
            for quartier, label in after.items():
                was = before.get(quartier, "0")
                if quartier != "Ensemble" and label.isdigit() and was.isdigit() and 0 < int(label) - int(was) < 3:
                    found = (partner, day, quartier, int(label) - int(was))
                    break
            if found:
                break
            before = after
        if found:
            break
    assert found, "no day of the planted store lets two free periods give a small count away"
    partner, day, quartier, recovered = found
    # the day alone, as the old code protected it: its count is masked …
    alone = _labels(_free_view(store, partner, day, day + pd.Timedelta(days=1), now))
    assert alone[quartier] == "< 3"
    # … and the subtraction gave its exact value
    scope = partner_scope(store, partner, taxonomy=TAXONOMY)
    truth = read_scope(store, scope, start=day, end=day + pd.Timedelta(days=1), timezone=TZ)
    names = dict(zip(store.load_territory()["code"], store.load_territory()["name"], strict=True))
    assert (truth["neighbourhood"].map(names) == quartier).sum() == recovered
    # Now: the same two periods are refused for a partner export, in French, and nothing is written.
    for end in (day, day + pd.Timedelta(days=1)):
        out = tmp_path / "refus.csv"
        with pytest.raises(InputError, match="périodes fixes"):
            export(store, ExportRequest(role="partenaire", fmt="csv", partner_id=partner, start=base, end=end), out,
                   taxonomy=TAXONOMY, settings=load_settings(db_url=planted_db), sharing=SETTINGS, by="attaque",
                   now=now)
        assert not out.exists()


def _class_of(items: pd.DataFrame) -> np.ndarray:
    is_open = items["is_open"].to_numpy(dtype=bool)
    return is_open.astype(int) + (is_open & (items["age_days"].to_numpy() > LATE_DAYS)).astype(int)


class Attacker:
    """Unknowns x[month, row, class]; every published figure and listed item of every reachable view."""

    def __init__(self, months: list[pd.Timestamp], rows: list[str]) -> None:
        self.months = {m: i for i, m in enumerate(months)}
        self.rows = {r: i for i, r in enumerate(rows)}
        self.size = len(months) * len(rows) * 3
        self.low = np.zeros(self.size)
        self.high = np.full(self.size, np.inf)
        self.a: list[np.ndarray] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.targets: dict[tuple, np.ndarray] = {}

    def index(self, month: int, row: int, klass: int) -> int:
        return (month * len(self.rows) + row) * 3 + klass

    def cell(self, months: list[int], rows: list[int], column: int) -> np.ndarray:
        vector = np.zeros(self.size)
        for m in months:
            for r in rows:
                for k in range(column, 3):
                    vector[self.index(m, r, k)] = 1
        return vector

    def add(self, vector: np.ndarray, lo: float, hi: float) -> None:
        self.a.append(vector)
        self.lo.append(lo)
        self.hi.append(hi)

    def figure(self, vector: np.ndarray, label: str, *, name: str) -> None:
        label = label.strip()
        if label.isdigit():
            self.add(vector, int(label), int(label))
        elif label == "< 3":
            self.add(vector, 1, 2)
            self.targets[name] = vector
        elif label == "masqué":
            self.add(vector, 3, np.inf)
        elif label.startswith("≥ "):
            self.add(vector, int(label[2:]), np.inf)
        else:
            raise AssertionError(f"unexpected published figure {label!r} ({name})")

    def read_table(self, view, months: list[int], code: str) -> None:
        table = quartier_figures(view)
        everyone = list(self.rows.values())
        for _, line in table.iterrows():
            rows = everyone if line["Quartier"] == "Ensemble" else [self.rows[line["Quartier"]]]
            for j, column in enumerate(COLUMNS):
                self.figure(self.cell(months, rows, j), str(line[column]),
                            name=f"{code} / {line['Quartier']} / {column}")
        if len(months) == 1:  # a month's table lists every row holding a report: the others hold none
            for name, r in self.rows.items():
                if name not in set(table["Quartier"]):
                    self.add(self.cell(months, [r], 0), 0, 0)

    def read_items(self, view, month: int) -> None:
        """The items a month lists, as its rule lists them (the attacker knows the rule)."""
        names = [name for _, name in view.rows]
        klass = _class_of(view.items)
        visible = np.zeros((len(names), 3), dtype=int)
        pooled = np.zeros(3, dtype=int)
        for quartier, k in zip(view.items["neighbourhood_name"], klass, strict=True):
            if quartier == POOLED_NAME:
                pooled[k] += 1
            else:
                visible[names.index(quartier), k] += 1
        listing = view.figures.listing
        for k in range(3):
            members = np.zeros(self.size)
            for i, name in enumerate(names):
                slot = self.index(month, self.rows[name], k)
                if listing[i, k] == LISTED:
                    self.low[slot] = self.high[slot] = visible[i, k]
                else:
                    assert visible[i, k] == 0, f"{name}: items of a hidden group listed with their quartier"
                    if listing[i, k] == POOLED:
                        members[slot] = 1
            if members.any():
                self.add(members, pooled[k], pooled[k])
            else:
                assert pooled[k] == 0

    def ranges(self) -> dict[str, tuple[int, int]]:
        a = np.array(self.a)
        constraints = LinearConstraint(a, np.array(self.lo, float), np.array(self.hi, float))
        out = {}
        for name, target in self.targets.items():
            found = []
            for sign in (1.0, -1.0):
                res = milp(sign * target, integrality=np.ones(self.size), bounds=Bounds(self.low, self.high),
                           constraints=constraints)
                assert res.status == 0, f"the attacker's system has no solution: {res.message}"
                found.append(round(float(target @ res.x)))
            out[name] = (found[0], found[1])
        return out


@pytest.mark.parametrize("partner", [PARTNER, "ccas", "ville-proprete", "police-municipale"])
def test_nothing_a_partner_reaches_over_all_fixed_periods_recomputes_a_masked_count(planted_db, partner):
    store = Store(planted_db)
    now = pd.Timestamp.now(tz=TZ)
    scope = partner_scope(store, partner, taxonomy=TAXONOMY)
    offered = available_periods(first_report_month(store, timezone=TZ), now=now, timezone=TZ)
    periods = [p for kind in offered.values() for p in kind]
    views = {p.code: fixed_partner_view(store, scope, p, taxonomy=TAXONOMY, settings=SETTINGS, now=now, timezone=TZ)
             for p in periods}
    months = sorted({start for p in periods for start, _ in p.months()})  # a year may start before the first report
    assert len(offered["mois"]) == len(offered["tout"][0].months()) >= 12 and offered["trimestre"] and offered["annee"]
    rows = [name for _, name in views["tout"].rows]
    attacker = Attacker(months, rows)
    month_items = []
    for period in periods:
        view = views[period.code]
        covered = [attacker.months[start] for start, _ in period.months()]
        attacker.read_table(view, covered, period.code)
        if period.kind == "mois":
            attacker.read_items(view, covered[0])
            month_items.append(view.items)
    # A longer period lists exactly the items its months list, as they list them: nothing more to learn.
    listed = pd.concat(month_items, ignore_index=True).set_index("ref").sort_index()
    for period in periods:
        if period.kind != "mois":
            items = views[period.code].items.set_index("ref").sort_index()
            if len(items):
                pd.testing.assert_frame_equal(items, listed.loc[items.index], check_dtype=False,
                                              check_index_type=False, obj=period.code)
    assert len(views["tout"].items) == len(listed) > 0
    ranges = attacker.ranges()
    assert ranges, "these periods should hold masked counts"
    recovered = {name: lo for name, (lo, hi) in ranges.items() if lo == hi}
    assert not recovered, f"masked counts recomputed across periods: {recovered}"
    assert all(1 <= lo < hi <= 2 for lo, hi in ranges.values()), ranges


def test_the_attacker_pins_masked_counts_when_each_fixed_period_is_protected_on_its_own(planted_db):
    """Control: fixed periods alone are not enough. Quarters, years and « depuis le début » protected each on its
    own (:func:`partner_view` over their bounds) instead of derived from their months leak through the nesting:
    a quarter shown exactly minus its months' published cells gives a month's « < 3 » back."""
    store = Store(planted_db)
    now = pd.Timestamp.now(tz=TZ)
    recovered = {}
    for partner in ("ville-proprete", "police-municipale", PARTNER):
        scope = partner_scope(store, partner, taxonomy=TAXONOMY)
        offered = available_periods(first_report_month(store, timezone=TZ), now=now, timezone=TZ)
        periods = [p for kind in offered.values() for p in kind]
        months = sorted({start for p in periods for start, _ in p.months()})
        views = {}
        for p in periods:
            view = (fixed_partner_view(store, scope, p, taxonomy=TAXONOMY, settings=SETTINGS, now=now, timezone=TZ)
                    if p.kind == "mois" else _free_view(store, partner, p.start, p.end, now))
            views[p.code] = view
        rows = sorted({name for v in views.values() for _, name in v.rows})
        attacker = Attacker(months, rows)
        for p in periods:
            covered = [attacker.months[start] for start, _ in p.months()]
            attacker.read_table(views[p.code], covered, p.code)
        recovered.update({f"{partner}: {name}": lo for name, (lo, hi) in attacker.ranges().items() if lo == hi})
        if recovered:
            break
    assert recovered, "independently protected nested periods should give some masked count away"


def test_a_longer_period_is_computed_from_its_months_published_cells_only():
    from geo.sharing.disclosure import protect_counts
    from geo.sharing.period_view import derive_table

    october = protect_counts(np.array([[5, 2, 0], [1, 1, 0], [40, 3, 1], [7, 4, 0]]))
    november = protect_counts(np.array([[0, 0, 0], [4, 0, 0], [2, 0, 0], [3, 3, 0]]))
    assert [[october.label(i, j) for j in range(3)] for i in range(4)] == [
        ["masqué", "< 3", "0"], ["< 3", "< 3", "0"], ["masqué", "masqué", "< 3"], ["7", "4", "0"]]
    assert [[november.label(i, j) for j in range(3)] for i in range(4)] == [
        ["0", "0", "0"], ["4", "0", "0"], ["< 3", "0", "0"], ["masqué", "3", "0"]]
    table = derive_table([(october, [0, 1, 2, 3]), (november, [0, 1, 2, 3])], rows=4, min_count=3)
    # shown cells add up (4 + 3 = 7); « < 3 » with zeros stays « < 3 »; otherwise the least value the months
    # allow: « masqué » counts 3, « < 3 » counts 1 (row 2: 1 + 4 = 5; row 3: 7 + 3 = 10)
    assert [[table.label(i, j) for j in range(3)] for i in range(4)] == [
        ["≥ 3", "< 3", "0"], ["≥ 5", "< 3", "0"], ["≥ 4", "≥ 3", "< 3"], ["≥ 10", "7", "0"]]
    assert [table.total_label(j) for j in range(3)] == ["≥ 22", "≥ 12", "≥ 1"]
    # nothing depends on a masked count: other masked values with the same publication give the same table
    other = protect_counts(np.array([[6, 1, 0], [2, 2, 0], [41, 3, 1], [7, 4, 0]]))
    assert (other.status == october.status).all()
    again = derive_table([(other, [0, 1, 2, 3]), (november, [0, 1, 2, 3])], rows=4, min_count=3)
    assert [[again.label(i, j) for j in range(3)] for i in range(4)] == [
        [table.label(i, j) for j in range(3)] for i in range(4)]
    assert [again.total_label(j) for j in range(3)] == ["≥ 22", "≥ 12", "≥ 1"]
