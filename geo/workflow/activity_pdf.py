"""The activity report as a printable PDF (ReportLab): title with the structure and the period, text, charts, table."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from geo.workflow.activity import (
    GROUPING_LABELS,
    METRIC_LABELS,
    METRICS,
    Activity,
    activity_table,
    days_text,
    summary_text,
)

__all__ = ["activity_pdf", "write_activity_pdf"]

_COUNT_COLOURS = (colors.HexColor("#4C78A8"), colors.HexColor("#F58518"), colors.HexColor("#54A24B"))
_MAX_CHART_GROUPS = 14


def _cell(metric: str, value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "n.d."
    if metric == "overdue_share":
        return f"{100 * float(value):.0f} %"
    if metric.startswith(("median", "p90")):
        return days_text(float(value))
    return str(int(value))


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _bar_chart(activity: Activity, metrics: tuple[str, ...], title: str, *, width: float) -> Drawing:
    """Return horizontal bars of ``metrics`` per group (the groups with most reports first)."""
    table = activity.table.sort_values("reports", ascending=False).head(_MAX_CHART_GROUPS).iloc[::-1]
    names = [_short(activity.labels.get(k, k)) for k in table.index]
    height = 60 + 16 * max(len(names), 1) * (1 + 0.3 * (len(metrics) - 1))
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 12, title, fontName="Helvetica-Bold", fontSize=10))
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 30
    chart.width, chart.height = width - 260, height - 60
    chart.data = [[float(v) if pd.notna(v) else 0.0 for v in table[m]] for m in metrics] or [[0.0]]
    chart.categoryAxis.categoryNames = names or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.barSpacing = 1
    for i in range(len(metrics)):
        chart.bars[i].fillColor = _COUNT_COLOURS[i % len(_COUNT_COLOURS)]
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 100, height - 30
    legend.fontSize = 7
    legend.colorNamePairs = [(_COUNT_COLOURS[i % len(_COUNT_COLOURS)], METRIC_LABELS[m])
                             for i, m in enumerate(metrics)]
    drawing.add(legend)
    return drawing


def activity_pdf(activity: Activity, *, structure: str, timezone: str = "Europe/Paris") -> bytes:
    """Return the activity report as PDF bytes (A4 landscape)."""
    buffer = io.BytesIO()
    first = activity.start.tz_convert(timezone).strftime("%d/%m/%Y")
    last = (activity.end.tz_convert(timezone) - pd.Timedelta(seconds=1)).strftime("%d/%m/%Y")
    title = f"Bilan d'activité — {structure}"
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.5 * cm, title=title, author=structure)
    styles = getSampleStyleSheet()
    width = landscape(A4)[0] - 3 * cm
    story = [
        Paragraph(title, styles["Title"]),
        Paragraph(f"Période du {first} au {last} — par {GROUPING_LABELS[activity.by].lower()}", styles["Heading2"]),
        Paragraph(summary_text(activity, timezone=timezone), styles["BodyText"]),
        Spacer(1, 0.4 * cm),
        _bar_chart(activity, ("reports", "relayed", "resolved"), "Signalements, transmis et résolus", width=width),
        Spacer(1, 0.3 * cm),
        _bar_chart(activity, ("median_days_to_relay", "median_days_to_resolve"),
                   "Délais médians (jours) : transmission et résolution", width=width),
        Spacer(1, 0.4 * cm),
    ]
    frame = activity_table(activity)
    header = [GROUPING_LABELS[activity.by], *(METRIC_LABELS[m] for m in METRICS)]
    cell_style = styles["BodyText"].clone("cell", fontSize=7, leading=8)
    rows = [[Paragraph(h, cell_style) for h in header]]
    for record in frame.to_dict("records"):
        rows.append([Paragraph(str(record[GROUPING_LABELS[activity.by]]), cell_style),
                     *(_cell(m, record[m]) for m in METRICS)])
    first_col = 5.5 * cm
    table = Table(rows, colWidths=[first_col] + [(width - first_col) / len(METRICS)] * len(METRICS), repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTSIZE", (0, 0), (-1, -1), 7), ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF5")),
        ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F2F2F2")),
        ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story += [table, Spacer(1, 0.3 * cm), Paragraph(
        "Délais en jours depuis l'observation ; P90 : 90 % des signalements en moins de ce délai. Part en retard : "
        "signalements transmis dont le partenaire a dépassé son délai cible, depuis la transmission. Chiffres "
        "établis d'après l'historique des statuts à la fin de la période.", cell_style)]
    doc.build(story)
    return buffer.getvalue()


def write_activity_pdf(activity: Activity, path: Path | str, *, structure: str,
                       timezone: str = "Europe/Paris") -> Path:
    """Write :func:`activity_pdf` to ``path`` and return it."""
    path = Path(path)
    path.write_bytes(activity_pdf(activity, structure=structure, timezone=timezone))
    return path
