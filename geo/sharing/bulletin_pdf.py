"""The printable bulletin of a partner view (ReportLab): a map image, figures per quartier, open items by age.

Built from a :class:`geo.sharing.privacy.PartnerView` only, so it carries what a partner may see and nothing
more. The map is drawn with matplotlib (quartiers coloured by class of count, generalised places), no tiles.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from geo.sharing.partner_map import CLASS_COLOURS
from geo.sharing.privacy import (
    COUNT_CLASSES,
    MASKED_CLASS,
    PartnerView,
    grid_cells,
    listing_note,
    open_items,
    quartier_classes,
    quartier_figures,
)

__all__ = ["MAX_ITEMS", "bulletin_pdf", "map_png"]

MAX_ITEMS = 300
"""Open items listed at most (the oldest first); the bulletin says how many more there are."""
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _fonts() -> tuple[str, str]:
    """Register DejaVu Sans when present (it has « ≥ »), else fall back to Helvetica."""
    regular, bold = _FONT_DIR / "DejaVuSans.ttf", _FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def map_png(view: PartnerView, territory: gpd.GeoDataFrame, *, dpi: int = 150) -> bytes:
    """Return the bulletin's map as a PNG image."""
    terr = territory.to_crs("EPSG:2154")
    if view.scope.neighbourhoods is not None:
        terr = terr[terr["code"].isin(view.scope.neighbourhoods)]
    classes = quartier_classes(view)
    fig = Figure(figsize=(7, 5.2), dpi=dpi)
    ax = fig.add_subplot()
    if len(terr):
        shown = [classes.get(c, ("0",))[0].replace(f"< {view.min_count}", "< 3") for c in terr["code"]]
        terr.plot(ax=ax, color=[CLASS_COLOURS[c] for c in shown], edgecolor="#555", linewidth=0.6)
    cells = grid_cells(view)
    if len(cells):
        pts = gpd.GeoSeries(gpd.points_from_xy(cells["lon"], cells["lat"]), crs="EPSG:4326").to_crs("EPSG:2154")
        sizes = {label: 4 + 6 * i for i, (_, _, label) in enumerate(COUNT_CLASSES)}
        ax.scatter(pts.x, pts.y, s=[sizes.get(c, 6) for c in cells["classe"]], c="#333", alpha=0.7, linewidths=0)
    legend = [label.replace("< 3", f"< {view.min_count}") for _, _, label in COUNT_CLASSES] + [MASKED_CLASS]
    handles = [Rectangle((0, 0), 1, 1, fc=CLASS_COLOURS[label], ec="#555")
               for label in [*(label for _, _, label in COUNT_CLASSES), MASKED_CLASS]]
    ax.legend(handles, legend, title="Signalements par quartier",
              loc="lower left", fontsize=7, title_fontsize=7, framealpha=0.9)
    ax.set_axis_off()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _table(frame: pd.DataFrame, *, font: str, bold: str, widths: list[float] | None = None) -> Table:
    # plain strings: a Table draws them verbatim (no markup is parsed, so nothing to escape)
    data = [[str(c) for c in frame.columns]] + [[str(v) for v in row] for row in frame.itertuples(index=False)]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 7.5), ("FONT", (0, 0), (-1, 0), bold, 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def bulletin_pdf(view: PartnerView, territory: gpd.GeoDataFrame, *, title: str, period: str) -> bytes:
    """Return the bulletin as PDF bytes.

    Parameters
    ----------
    title
        E.g. ``Bulletin — Ville``.
    period
        The period in words, e.g. ``du 01/01/2026 au 31/03/2026``.
    """
    font, bold = _fonts()
    styles = getSampleStyleSheet()
    normal = ParagraphStyle("n", parent=styles["Normal"], fontName=font, fontSize=9)
    heading = ParagraphStyle("h", parent=styles["Heading2"], fontName=bold, fontSize=12)
    big = ParagraphStyle("t", parent=styles["Title"], fontName=bold, fontSize=16)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
                            bottomMargin=1.5 * cm, title=title, author="Veille territoriale")
    items = open_items(view)
    story = [
        Paragraph(escape(title), big),
        Paragraph(escape(f"Période : {period} — édité le {view.now:%d/%m/%Y}. Lieux généralisés "
                         f"(centre de maille), effectifs inférieurs à {view.min_count} affichés « < "
                         f"{view.min_count} », aucune donnée personnelle. {listing_note(view)}"), normal),
        Spacer(1, 0.3 * cm),
        Image(io.BytesIO(map_png(view, territory)), width=17 * cm, height=12.6 * cm),
        Paragraph("Chiffres par quartier", heading),
        _table(quartier_figures(view, territory), font=font, bold=bold, widths=[6 * cm, 3.3 * cm, 3.3 * cm, 5 * cm]),
        Paragraph(escape(f"Signalements ouverts, du plus ancien au plus récent ({len(items)})"), heading),
    ]
    if items.empty:
        story.append(Paragraph("Aucun signalement ouvert sur la période.", normal))
    else:
        story.append(_table(items.head(MAX_ITEMS), font=font, bold=bold))
        if len(items) > MAX_ITEMS:
            story.append(Paragraph(escape(f"… et {len(items) - MAX_ITEMS} autres (voir l'export CSV)."), normal))
    doc.build(story)
    return buffer.getvalue()
