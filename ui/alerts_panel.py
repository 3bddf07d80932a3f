"""Streamlit pieces of the *Alertes* page: the open alerts, one alert's series and reports, digest previews."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from geo.alerts.detection import series_history
from geo.alerts.digest import METHOD_LABELS, build_digest
from geo.alerts.digest_pdf import digest_pdf
from geo.alerts.partner_lookup import PartnerDirectory, load_partner_directory
from geo.alerts.registry import (
    OPEN_STATUSES,
    Subscription,
    alert_history_rows,
    get_subscription,
    list_alerts,
    set_status,
    set_subscription,
)
from geo.alerts.series import SeriesKey
from geo.alerts.static_map import render_map_png
from geo.alerts.watch import run_watch
from geo.errors import VeilleError
from ui import loaders

__all__ = ["partner_directory", "open_alerts", "detection_button", "alerts_map", "alerts_table", "alert_detail",
           "digest_preview", "subscription_form"]

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

STATUS_LABELS = {"nouvelle": "Nouvelle", "envoyee": "Envoyée", "acquittee": "Acquittée", "close": "Close"}


def partner_directory() -> PartnerDirectory | None:
    """Return the partners and routing, or ``None`` after showing why they cannot be read."""
    try:
        return load_partner_directory(loaders.store())
    except VeilleError as exc:
        st.error(f"Partenaires illisibles : {exc}")
        return None


def open_alerts() -> list[dict]:
    """Return the stored alerts not closed, newest first."""
    return list_alerts(loaders.store(), statuses=list(OPEN_STATUSES))


def detection_button(directory: PartnerDirectory) -> None:
    """Offer to run the detection as of today and store the alerts."""
    if st.button("Lancer la détection", icon=":material/radar:", help="Pics hebdomadaires, gravité 3, "
                 "signalements rapprochés, évalués à la date du jour"):
        settings = loaders.settings()
        today = pd.Timestamp.now(tz=settings.timezone).date().isoformat()
        found = run_watch(loaders.store(), as_of=today, timezone=settings.timezone, directory=directory,
                          persist=True)
        loaders.refresh()
        st.toast(f"{len(found)} alerte(s) au {today}")


def _names() -> tuple[dict[str, str], dict[str, str]]:
    return loaders.neighbourhood_names().to_dict(), loaders.category_labels()


def alerts_table(alerts: list[dict], directory: PartnerDirectory) -> int | None:
    """Show the alerts as a table; return the id of the alert chosen in it (or ``None``)."""
    names, labels = _names()
    frame = pd.DataFrame([{
        "id": a["id"], "Quartier": names.get(a["neighbourhood"], a["neighbourhood"]),
        "Catégorie": labels.get(a["category"], a["category"]) if a["category"] else "Toutes catégories",
        "Semaine du": a["week"], "Observés": a["observed"], "Attendus": a["expected"], "Seuil": a["threshold"],
        "Méthode": METHOD_LABELS.get(a["method"], a["method"]),
        "Partenaire": (directory.get(a["partner"]).name if directory.get(a["partner"]) else a["partner"] or "—"),
        "Statut": STATUS_LABELS.get(a["status"], a["status"]),
    } for a in alerts])
    event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key="alertes_table",
                         column_config={"id": None, "Attendus": st.column_config.NumberColumn(format="%.1f"),
                                        "Seuil": st.column_config.NumberColumn(format="%.1f")})
    rows = event.selection.rows if event is not None else []
    return int(frame.iloc[rows[0]]["id"]) if rows else None


def alerts_map(alerts: list[dict]) -> None:
    """Show a static map of the open alerts' quartiers and the reports behind them (no tiles, no network)."""
    ids = sorted({rid for a in alerts for rid in a["report_ids"]})
    behind = loaders.store().read_reports_by_id(ids, columns=("id", "lat", "lon")) if ids else None
    png = render_map_png(loaders.territory(), lon=[] if behind is None else behind["lon"].tolist(),
                         lat=[] if behind is None else behind["lat"].tolist(),
                         highlight=[a["neighbourhood"] for a in alerts if a["neighbourhood"]])
    st.image(png, caption="Quartiers en alerte et signalements concernés", width=520)


def _series_chart(alert: dict) -> None:
    settings = loaders.settings()
    history = series_history(loaders.reports(), SeriesKey(alert["neighbourhood"], alert["category"]),
                             as_of=alert["as_of"], timezone=settings.timezone, weeks=26)
    if history.empty:
        st.info("Pas d'historique pour cette série.")
        return
    history["week"] = pd.to_datetime(history["week"])
    base = alt.Chart(history).encode(x=alt.X("week:T", title="Semaine"))
    band = base.mark_area(opacity=0.25, color="#f59e0b").encode(
        y=alt.Y("expected:Q", title="Signalements par semaine"), y2="threshold:Q")
    expected = base.mark_line(color="#6b7280", strokeDash=[4, 3]).encode(y="expected:Q")
    threshold = base.mark_line(color="#dc2626").encode(y="threshold:Q")
    observed = base.mark_line(point=True, color="#1d4ed8").encode(
        y="observed:Q", tooltip=["week:T", "observed:Q", alt.Tooltip("expected:Q", format=".1f"),
                                 alt.Tooltip("threshold:Q", format=".1f"), "method:N"])
    st.altair_chart(band + expected + threshold + observed, width="stretch")
    st.caption("Bleu : observés ; tirets gris : attendus ; rouge : seuil ; bande : entre attendus et seuil.")


def alert_detail(alert: dict) -> None:
    """Show one alert: its series chart, the reports behind it, its history, and the actions."""
    names, labels = _names()
    title = (f"{names.get(alert['neighbourhood'], alert['neighbourhood'] or '—')} · "
             f"{labels.get(alert['category'], alert['category']) if alert['category'] else 'toutes catégories'}"
             f" · semaine du {alert['week']}")
    st.subheader(title)
    if alert["kind"] == "statistique":
        _series_chart(alert)
    ids = alert["report_ids"]
    behind = loaders.store().read_reports_by_id(ids, columns=("id", "observed_at", "category", "severity", "status"))
    if len(behind):
        behind["observed_at"] = pd.to_datetime(behind["observed_at"].astype("int64"), unit="s", utc=True
                                               ).dt.tz_convert(loaders.settings().timezone)
        behind["category"] = behind["category"].map(labels).fillna(behind["category"])
        st.dataframe(behind.sort_values("observed_at", ascending=False), hide_index=True, width="stretch",
                     column_config={"id": "Signalement", "observed_at": st.column_config.DatetimeColumn(
                         "Observé le", format="DD/MM/YYYY HH:mm"), "category": "Catégorie",
                         "severity": "Gravité", "status": "Statut"})
    left, right = st.columns(2)
    for column, (target, label) in zip((left, right), (("acquittee", "Acquitter"), ("close", "Clore")), strict=True):
        if column.button(label, key=f"alert_{target}_{alert['id']}", disabled=alert["status"] == target):
            try:
                set_status(loaders.store(), [alert["id"]], target, by="coordination")
                loaders.refresh()
                st.rerun()
            except VeilleError as exc:
                st.error(str(exc))
    history = pd.DataFrame(alert_history_rows(loaders.store(), alert["id"]))
    if len(history):
        history["changed_at"] = pd.to_datetime(history["changed_at"], unit="s", utc=True
                                               ).dt.tz_convert(loaders.settings().timezone)
        st.dataframe(history[["changed_at", "from_status", "to_status", "changed_by", "note"]], hide_index=True,
                     width="stretch", column_config={
                         "changed_at": st.column_config.DatetimeColumn("Le", format="DD/MM/YYYY HH:mm"),
                         "from_status": "De", "to_status": "À", "changed_by": "Par", "note": "Note"})


def digest_preview(directory: PartnerDirectory) -> None:
    """Show the note de veille a partner would receive now (its alerts in ``nouvelle``)."""
    if not directory.partners:
        st.info("Aucun partenaire configuré : la note de veille ne peut pas être préparée.")
        return
    choice = st.selectbox("Partenaire", sorted(directory.partners), key="alertes_partner",
                          format_func=lambda pid: directory.partners[pid].name)
    partner = directory.partners[choice]
    subscription_form(partner.id)
    settings = loaders.settings()
    fresh = list(reversed(list_alerts(loaders.store(), statuses=["nouvelle"], partner=partner.id)))
    digest = build_digest(loaders.store(), partner, fresh, directory=directory, taxonomy=loaders.taxonomy(),
                          territory=loaders.territory(), timezone=settings.timezone)
    st.caption(f"Objet : {digest.subject} — destinataires : {', '.join(partner.emails) or 'aucun'}")
    page = digest.standalone_html()
    st.iframe(page, height=600)  # every text in it is HTML-escaped (geo.alerts.digest)
    left, right = st.columns(2)
    left.download_button("Télécharger la note (HTML)", page.encode("utf-8"),
                         file_name=f"note-veille-{partner.id}.html", mime="text/html")
    right.download_button("Télécharger la note (PDF)", digest_pdf(digest), file_name=f"note-veille-{partner.id}.pdf",
                          mime="application/pdf")


def subscription_form(partner_id: str) -> None:
    """Edit how a partner receives alerts (immediate or weekly) and its threshold rules."""
    current = get_subscription(loaders.store(), partner_id)
    with st.expander("Abonnement et règles de ce partenaire"), st.form(f"subscription_{partner_id}"):
        mode = st.radio("Envoi", ("weekly", "immediate"), index=0 if current.mode == "weekly" else 1, horizontal=True,
                        format_func=lambda m: "Note hebdomadaire" if m == "weekly" else "Alertes immédiates")
        weekday = st.selectbox("Jour de la note hebdomadaire", range(7), index=current.weekday,
                               format_func=lambda d: WEEKDAYS[d])
        severity3 = st.checkbox("Alerter à chaque signalement de gravité 3", value=current.severity3)
        cols = st.columns(3)
        n = cols[0].number_input("N signalements", min_value=2, value=current.cluster_n, step=1)
        distance = cols[1].number_input("à moins de D mètres", min_value=10.0, value=current.cluster_distance_m)
        hours = cols[2].number_input("en H heures", min_value=1.0, value=current.cluster_hours)
        if st.form_submit_button("Enregistrer"):
            try:
                set_subscription(loaders.store(), Subscription(partner_id, mode=mode, weekday=int(weekday),
                                                               severity3=severity3, cluster_n=int(n),
                                                               cluster_distance_m=float(distance),
                                                               cluster_hours=float(hours)))
                loaders.refresh()
                st.success("Abonnement enregistré.")
            except VeilleError as exc:
                st.error(str(exc))
