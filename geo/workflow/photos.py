"""Photos of a report, kept in the store: the file as received, and copies resized and stripped of metadata.

Phones write the place (EXIF GPS), the device, the owner and the time into their photos. Only the coordinator
may see the file as received (:func:`read_photo` with ``variant="original"``); everything else -- the report's
detail, exports, partners -- uses the ``display`` and ``thumbnail`` copies, re-encoded by Pillow from the pixels
alone (orientation applied first), so that no EXIF, XMP, IPTC or comment survives.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError

from geo.errors import InputError
from geo.store import schema
from geo.store.database import Store
from geo.store.workflow_schema import photos as photos_table

__all__ = ["PhotoInfo", "MAX_BYTES", "MAX_PIXELS", "DISPLAY_SIDE", "THUMBNAIL_SIDE", "add_photo", "list_photos",
           "read_photo", "delete_photo", "strip_and_resize"]

MAX_BYTES = 30 << 20
"""Largest file accepted (a 12-megapixel phone JPEG is 3 to 8 MB; HEIC/PNG larger)."""
MAX_PIXELS = 50_000_000
DISPLAY_SIDE = 1600
THUMBNAIL_SIDE = 320
VARIANTS = ("display", "thumbnail", "original")


@dataclass(frozen=True)
class PhotoInfo:
    """A stored photo, without its bytes."""

    id: int
    report_id: str
    filename: str | None
    width: int
    height: int
    added_at: int
    added_by: str | None


def strip_and_resize(image: Image.Image, side: int, *, quality: int = 85) -> tuple[bytes, int, int]:
    """Return ``image`` as a JPEG of at most ``side`` pixels a side, with no metadata, and its size."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    if copy.mode not in ("RGB", "L"):
        copy = copy.convert("RGB")
    clean = Image.new(copy.mode, copy.size)  # the pixels alone: no info dict, no EXIF, no ICC/XMP
    clean.paste(copy)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue(), clean.width, clean.height


def add_photo(store: Store, report_id: str, data: bytes, *, filename: str | None = None,
              added_by: str | None = None) -> int:
    """Store a photo with its report; return the photo's id.

    Raises
    ------
    InputError
        When the report does not exist, the file is empty, too large or not an image Pillow can read.
    """
    name = filename or "photo"
    if not data:
        raise InputError(f"{name} : fichier vide")
    if len(data) > MAX_BYTES:
        raise InputError(f"{name} : {len(data) / 2**20:.0f} Mo, au plus {MAX_BYTES >> 20} Mo par photo")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise InputError(f"{name} : {image.width}×{image.height} pixels, au plus {MAX_PIXELS // 10**6} "
                                 "millions")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InputError(f"{name} : ce n'est pas une image lisible (JPEG, PNG, WebP…) : {exc}") from exc
    display, width, height = strip_and_resize(upright, DISPLAY_SIDE)
    thumbnail, _, _ = strip_and_resize(upright, THUMBNAIL_SIDE, quality=80)
    table = schema.reports
    with store.transaction() as conn:
        if conn.execute(sa.select(table.c.id).where(table.c.id == report_id)).first() is None:
            raise InputError(f"signalement inconnu : {report_id!r}")
        result = conn.execute(photos_table.insert().values(
            report_id=report_id, added_at=int(time.time()), added_by=added_by, filename=filename, width=width,
            height=height, original=data, display=display, thumbnail=thumbnail))
        return int(result.inserted_primary_key[0])


def list_photos(store: Store, report_id: str) -> list[PhotoInfo]:
    """Return the photos of a report, oldest first (without their bytes)."""
    t = photos_table
    query = (sa.select(t.c.id, t.c.report_id, t.c.filename, t.c.width, t.c.height, t.c.added_at, t.c.added_by)
             .where(t.c.report_id == report_id).order_by(t.c.id))
    with store.engine.connect() as conn:
        return [PhotoInfo(*row) for row in conn.execute(query).all()]


def read_photo(store: Store, photo_id: int, *, variant: str = "display") -> bytes | None:
    """Return a photo's bytes: ``display`` or ``thumbnail`` (no metadata), or ``original`` (coordinator only)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r}; expected one of {VARIANTS}")
    with store.engine.connect() as conn:
        value = conn.execute(sa.select(photos_table.c[variant]).where(photos_table.c.id == photo_id)).scalar()
    return None if value is None else bytes(value)


def delete_photo(store: Store, photo_id: int) -> bool:
    """Delete a photo; return whether it existed."""
    with store.transaction() as conn:
        return bool(conn.execute(photos_table.delete().where(photos_table.c.id == photo_id)).rowcount)
