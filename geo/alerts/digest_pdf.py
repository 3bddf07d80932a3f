"""The note de veille as a printable PDF (ReportLab): title, summary, the alerts, the map, the reports."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from geo.alerts.digest import Digest

__all__ = ["digest_pdf"]

_MAX_ROWS = 200  # a longer table is cut, with a line saying how many rows were left out


def digest_pdf(digest: Digest) -> bytes:
    """Return the digest as PDF bytes (same content as its HTML, no personal data)."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                                 topMargin=1.2 * cm, bottomMargin=1.2 * cm, title=digest.subject)
    story = [Paragraph(escape(digest.subject), styles["Title"]),
             Paragraph(escape(digest.text.splitlines()[-1]), styles["BodyText"]), Spacer(1, 0.3 * cm)]
    for png in digest.images.values():
        story += [Image(io.BytesIO(png), width=9 * cm, height=9 * cm, kind="proportional", hAlign="LEFT"),
                  Spacer(1, 0.3 * cm)]
    for title, (headers, rows) in digest.tables.items():
        story.append(Paragraph(escape(title), styles["Heading3"]))
        if not rows:
            story.append(Paragraph("Aucun.", styles["BodyText"]))
            continue
        shown = rows[:_MAX_ROWS]
        data = [[Paragraph(escape(h), small) for h in headers]]
        data += [[Paragraph(escape("" if v is None else str(v)), small) for v in row] for row in shown]
        table = Table(data, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                                   ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9ca3af")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
        if len(rows) > len(shown):
            story.append(Paragraph(f"… et {len(rows) - len(shown)} autre(s).", small))
    story.append(Spacer(1, 0.4 * cm))
    story.append(Paragraph("Données de veille territoriale (médiation sociale). Sans donnée personnelle.", small))
    document.build(story)
    return buffer.getvalue()
