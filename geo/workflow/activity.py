"""The activity report (bilan d'activité): per registre, partner, quartier or month, what was reported and done.

For the reports observed in the period, counted as the histories stood at the period's end:

* ``reports`` -- reports observed in the period;
* ``relayed`` -- those relayed to a partner (a change to ``transmis``) before the end;
* ``taken_up`` -- those taken up by the partner (``pris_en_charge``) before the end;
* ``resolved`` -- those whose status at the end is ``resolu``;
* ``median_days_to_relay``, ``p90_days_to_relay`` -- days from observation to the first relay;
* ``median_days_to_resolve``, ``p90_days_to_resolve`` -- days from observation to resolution;
* ``overdue_share`` -- among relayed reports whose partner has a target delay, the share that waited longer
  than the target from relay to resolution or closing (or are still open past it at the end).

Percentiles interpolate linearly between ranks (numpy's default, Excel's ``CENTILE.INCLUS``). Changes whose date
an imported file did not give (origin ``import_sans_date``) count, but not in delays. A figure with no report to
compute it on is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo.errors import InputError
from geo.store import schema
from geo.store.database import Store, fetch_frame
from geo.store.workflow_schema import partners as partners_table
from geo.taxonomy import Taxonomy
from geo.workflow.lifecycle import ORIGIN_IMPORT_UNDATED

__all__ = ["GROUPINGS", "METRICS", "OUTSIDE_CODE", "NO_PARTNER_CODE", "Activity", "compute_activity",
           "activity_json", "activity_table", "summary_text", "period_bounds", "days_text"]

GROUPINGS = ("registre", "partner", "neighbourhood", "month")
METRICS = ("reports", "relayed", "taken_up", "resolved", "median_days_to_relay", "p90_days_to_relay",
           "median_days_to_resolve", "p90_days_to_resolve", "overdue_share")
METRIC_LABELS = {
    "reports": "Signalements", "relayed": "Transmis", "taken_up": "Pris en charge", "resolved": "Résolus",
    "median_days_to_relay": "Délai médian de transmission (j)", "p90_days_to_relay": "Délai P90 de transmission (j)",
    "median_days_to_resolve": "Délai médian de résolution (j)", "p90_days_to_resolve": "Délai P90 de résolution (j)",
    "overdue_share": "Part en retard",
}
GROUPING_LABELS = {"registre": "Registre", "partner": "Partenaire", "neighbourhood": "Quartier", "month": "Mois"}
OUTSIDE_CODE = "hors_territoire"
NO_PARTNER_CODE = "sans_partenaire"
_DAY = 86_400.0


@dataclass(frozen=True)
class Activity:
    """An activity report: one row per group with :data:`METRICS`, and the same figures for the whole period.

    Attributes
    ----------
    start, end
        The period, half-open ``[start, end)`` (UTC).
    by
        The grouping (:data:`GROUPINGS`).
    table
        Index: group codes (registre, partner id, quartier code, ``YYYY-MM``); columns :data:`METRICS`.
    total
        The figures over every report of the period.
    labels
        Group code -> French label.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    by: str
    table: pd.DataFrame
    total: dict
    labels: dict[str, str]


def period_bounds(date_from: str, date_to: str, *, timezone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the half-open UTC interval of the inclusive local dates ``date_from`` .. ``date_to``.

    Raises
    ------
    InputError
        When a date cannot be read or the period is empty.
    """
    try:
        lo = pd.Timestamp(date_from).tz_localize(timezone)
        hi = (pd.Timestamp(date_to) + pd.Timedelta(days=1)).tz_localize(timezone)
    except (ValueError, TypeError) as exc:
        raise InputError(f"période illisible ({date_from!r}, {date_to!r}) : dates AAAA-MM-JJ attendues") from exc
    if hi <= lo:
        raise InputError(f"--to ({date_to}) doit être le même jour que --from ({date_from}) ou après")
    return lo.tz_convert("UTC"), hi.tz_convert("UTC")


def _quantile(values: pd.Series, q: float) -> float | None:
    clean = values.dropna().to_numpy(float)
    return round(float(np.percentile(clean, q)), 2) if clean.size else None


def _figures(group: pd.DataFrame) -> dict:
    judged = group["overdue"].dropna()
    return {
        "reports": len(group),
        "relayed": int(group["relayed_at"].notna().sum()),
        "taken_up": int(group["taken_up_at"].notna().sum()),
        "resolved": int(group["resolved"].sum()),
        "median_days_to_relay": _quantile(group["days_to_relay"], 50),
        "p90_days_to_relay": _quantile(group["days_to_relay"], 90),
        "median_days_to_resolve": _quantile(group["days_to_resolve"], 50),
        "p90_days_to_resolve": _quantile(group["days_to_resolve"], 90),
        "overdue_share": round(float(judged.astype(float).mean()), 4) if len(judged) else None,
    }


def _report_rows(store: Store, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    table = schema.reports
    query = (sa.select(table.c.id, table.c.observed_at, table.c.category, table.c.registre, table.c.neighbourhood,
                       table.c.partner)
             .where(table.c.observed_at >= int(start.timestamp()), table.c.observed_at < int(end.timestamp())))
    with store.engine.connect() as conn:
        return fetch_frame(conn, query, ["id", "observed_at", "category", "registre", "neighbourhood", "partner"])


def _history_rows(store: Store, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Return the changes before ``end`` of the reports observed in ``[start, end)`` (times in seconds)."""
    history, table = schema.status_history, schema.reports
    query = (sa.select(history.c.report_id, history.c.changed_at, history.c.to_status, history.c.origin)
             .join(table, table.c.id == history.c.report_id)
             .where(table.c.observed_at >= int(start.timestamp()), table.c.observed_at < int(end.timestamp()),
                    history.c.changed_at < int(end.timestamp()))
             .order_by(history.c.report_id, history.c.changed_at, history.c.id))
    with store.engine.connect() as conn:
        frame = fetch_frame(conn, query, ["report_id", "t", "to_status", "origin"])
    frame["t"] = frame["t"].astype("int64")
    return frame


def compute_activity(store: Store, *, start: pd.Timestamp, end: pd.Timestamp, by: str = "registre",
                     taxonomy: Taxonomy, timezone: str = "Europe/Paris") -> Activity:
    """Compute the activity report of the reports observed in ``[start, end)``, grouped ``by``.

    Raises
    ------
    InputError
        When ``by`` is not one of :data:`GROUPINGS`.
    """
    if by not in GROUPINGS:
        raise InputError(f"regroupement {by!r} inconnu ; attendu l'un de {', '.join(GROUPINGS)}")
    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    reports = _report_rows(store, start, end)
    end_s = int(end.timestamp())
    history = _history_rows(store, start, end)
    dated = history[history["origin"] != ORIGIN_IMPORT_UNDATED]
    closed = ["resolu", "clos_sans_suite", "doublon"]

    def first(rows: pd.DataFrame, status: str, how: str = "min") -> pd.Series:
        """Time (seconds) of each report's first (or last) change to ``status``, aligned on the reports."""
        times = rows.loc[rows["to_status"] == status].groupby("report_id")["t"].agg(how)
        return times.reindex(reports["id"]).astype("float64")

    frame = reports.set_index("id")
    observed = frame["observed_at"].astype("int64")
    relayed = first(history, "transmis")
    frame["relayed_at"] = relayed
    frame["taken_up_at"] = first(history, "pris_en_charge")
    status = history.groupby("report_id")["to_status"].last().reindex(frame.index).fillna("nouveau")
    frame["resolved"] = status.eq("resolu")
    relay_dated = first(dated, "transmis")
    resolve_dated = first(dated, "resolu", "max").where(frame["resolved"])
    frame["days_to_relay"] = (relay_dated - observed) / _DAY
    frame["days_to_resolve"] = (resolve_dated - observed) / _DAY
    with store.engine.connect() as conn:
        targets = dict(conn.execute(sa.select(partners_table.c.id, partners_table.c.target_days)
                                    .where(partners_table.c.target_days.is_not(None))).all())
    target_days = frame["partner"].map(targets).astype("float64")
    closed_at = history.loc[history["to_status"].isin(closed)].groupby("report_id")["t"].max()
    finish = closed_at.reindex(frame.index).astype("float64").where(status.isin(closed), float(end_s))
    waited = (finish - relay_dated) / _DAY
    judged = relay_dated.notna() & target_days.notna()
    frame["overdue"] = (waited > target_days).where(judged).astype("object")
    observed = pd.to_datetime(observed, unit="s", utc=True)
    frame["registre"] = frame["category"].map(taxonomy.registres_by_category()).fillna(frame["registre"])
    frame["neighbourhood"] = frame["neighbourhood"].fillna(OUTSIDE_CODE)
    frame["partner"] = frame["partner"].fillna(NO_PARTNER_CODE)
    frame["month"] = observed.dt.tz_convert(timezone).dt.strftime("%Y-%m")
    groups = {key: _figures(part) for key, part in frame.groupby(by, sort=True)}
    table = pd.DataFrame.from_dict(groups, orient="index", columns=list(METRICS))
    table = table.astype({m: "int64" for m in ("reports", "relayed", "taken_up", "resolved")})
    table.index.name = by
    return Activity(start=start, end=end, by=by, table=table, total=_figures(frame),
                    labels=_labels(store, by, list(table.index), taxonomy))


def _labels(store: Store, by: str, codes: list[str], taxonomy: Taxonomy) -> dict[str, str]:
    if by == "registre":
        names = dict(taxonomy.registres)
    elif by == "partner":
        with store.engine.connect() as conn:
            names = dict(conn.execute(sa.select(partners_table.c.id, partners_table.c.name)).all())
        names[NO_PARTNER_CODE] = "Sans partenaire"
    elif by == "neighbourhood":
        territory = store.load_territory()
        names = dict(zip(territory["code"], territory["name"], strict=True))
        names[OUTSIDE_CODE] = "Hors territoire"
    else:
        months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre")
        names = {c: f"{months[int(c[5:7]) - 1]} {c[:4]}" for c in codes}
    return {c: str(names.get(c, c)) for c in codes}


def activity_json(activity: Activity, *, timezone: str = "Europe/Paris") -> dict:
    """Return the activity report as JSON-ready data: ``groups`` maps each group code to :data:`METRICS`."""
    last_day = (activity.end.tz_convert(timezone) - pd.Timedelta(seconds=1)).date()
    return {
        "from": activity.start.tz_convert(timezone).date().isoformat(), "to": last_day.isoformat(),
        "by": activity.by,
        "groups": {str(k): {m: _plain(row[m]) for m in METRICS}
                   for k, row in activity.table.to_dict("index").items()},
        "total": {m: _plain(activity.total[m]) for m in METRICS},
        "labels": activity.labels,
    }


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def activity_table(activity: Activity) -> pd.DataFrame:
    """Return the report as a table for people: group code and label, then the figures, and a total line."""
    rows = [{GROUPING_LABELS[activity.by]: activity.labels.get(k, k), "code": k,
             **{m: _plain(r[m]) for m in METRICS}} for k, r in activity.table.to_dict("index").items()]
    rows.append({GROUPING_LABELS[activity.by]: "Total", "code": "", **activity.total})
    return pd.DataFrame(rows, columns=[GROUPING_LABELS[activity.by], "code", *METRICS])


def days_text(value: float) -> str:
    """Return a number of days with one decimal, rounded half up, with a decimal comma (``0,3`` for 0.25)."""
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)).replace(".", ",")


def _days(value: float | None) -> str:
    return "n.d." if value is None else days_text(value) + " j"


def summary_text(activity: Activity, *, timezone: str = "Europe/Paris") -> str:
    """Return a short French text of the main figures (for the Bilan page and the PDF)."""
    t = activity.total
    first = activity.start.tz_convert(timezone).strftime("%d/%m/%Y")
    last = (activity.end.tz_convert(timezone) - pd.Timedelta(seconds=1)).strftime("%d/%m/%Y")
    if not t["reports"]:
        return f"Du {first} au {last}, aucun signalement n'a été enregistré."
    share = lambda n: f"{100 * n / t['reports']:.0f} %"  # noqa: E731 - a one-line formatter
    text = (f"Du {first} au {last}, {t['reports']} signalements ont été enregistrés ; {t['relayed']} ont été "
            f"transmis à un partenaire ({share(t['relayed'])}), {t['taken_up']} pris en charge et {t['resolved']} "
            f"résolus ({share(t['resolved'])}). Délai médian de transmission : {_days(t['median_days_to_relay'])} ; "
            f"délai médian de résolution : {_days(t['median_days_to_resolve'])} (90 % en moins de "
            f"{_days(t['p90_days_to_resolve'])}).")
    if t["overdue_share"] is not None:
        text += f" {100 * t['overdue_share']:.0f} % des signalements transmis ont dépassé le délai cible du partenaire."
    if len(activity.table):
        top = activity.table["reports"].idxmax()
        text += (f" {GROUPING_LABELS[activity.by]} le plus concerné : {activity.labels.get(top, top)} "
                 f"({int(activity.table.loc[top, 'reports'])} signalements).")
    return text
