"""The printable round sheet (*feuille de tournée*) of one team, as a PDF made with ReportLab.

Name of the round, team, date, start and end; space for notes before the round; the stops in order with
arrival time, what to look at and why, priority and a blank column for what was seen; notes after the round.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from geo.patrol.solver import Plan, TeamRoute

__all__ = ["round_sheet"]


def _notes_box(title: str, styles: dict, width: float) -> Table:
    box = Table([[Paragraph(f"<b>{escape(title)}</b>", styles["Normal"])], [""]], colWidths=[width],
                rowHeights=[7 * mm, 28 * mm])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                             ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return box


def round_sheet(plan: Plan, route: TeamRoute, *, name: str | None = None) -> bytes:
    """Return the PDF round sheet of ``route`` (A4, stops in visiting order).

    Parameters
    ----------
    plan
        The solved plan (date, start and end points).
    route
        The team's route.
    name
        Name of the plan, if it was saved under one.
    """
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=f"Feuille de tournée — équipe {route.team}",
                            author="Veille territoriale")
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=10.5)
    width = A4[0] - 28 * mm
    request = plan.request
    title = f"Feuille de tournée — équipe {route.team}"
    story = [Paragraph(escape(title), styles["Title"])]
    if name:
        story.append(Paragraph(escape(name), styles["Heading2"]))
    story.append(Paragraph(
        f"{request.at:%d/%m/%Y} — départ {request.at:%H:%M} ({request.start[0]:.5f}, {request.start[1]:.5f}), "
        f"retour prévu {route.back_at:%H:%M} ({request.finish[0]:.5f}, {request.finish[1]:.5f}) — "
        f"{len(route.stops)} arrêts, {route.walking_minutes:g} min de marche, arrêts de {request.dwell_minutes:g} min",
        styles["Normal"]))
    story += [Spacer(1, 4 * mm), _notes_box("Notes avant la tournée", styles, width), Spacer(1, 4 * mm)]
    header = ["N°", "Arrivée", "Lieu", "À regarder et pourquoi", "Prio.", "Constats"]
    rows = [header] + [
        [str(stop.order), f"{stop.arrival:%H:%M}", Paragraph(escape(stop.target.name), small),
         Paragraph(escape(stop.target.reason), small), f"{stop.target.priority:g}", ""]
        for stop in route.stops
    ]
    if not route.stops:
        rows.append(["", "", Paragraph("Aucun arrêt retenu pour cette équipe.", small), "", "", ""])
    table = Table(rows, colWidths=[9 * mm, 15 * mm, 45 * mm, 62 * mm, 11 * mm, width - 142 * mm],
                  repeatRows=1, minRowHeights=[0] + [16 * mm] * (len(rows) - 1))
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [table, Spacer(1, 4 * mm), _notes_box("Notes après la tournée", styles, width)]
    doc.build(story)
    return buffer.getvalue()
