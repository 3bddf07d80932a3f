"""Photos: stored with the report, resized, EXIF location and personal metadata removed; 12 MP accepted."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import ExifTags, Image

from geo.errors import InputError
from geo.ingest.entry import FieldEntry, record_report
from geo.workflow.photos import DISPLAY_SIDE, THUMBNAIL_SIDE, add_photo, delete_photo, list_photos, read_photo
from tests.conftest import NORTH_POINT


def phone_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A 12-megapixel JPEG as a phone writes it: GPS position, device, owner, time, rotated 90°."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Model] = "TP-12"
    exif[ExifTags.Base.Artist] = "Jeanne Dupont"
    exif[ExifTags.Base.DateTime] = "2026:03:01 10:00:00"
    exif[ExifTags.Base.Orientation] = 6  # the camera was held upright: show rotated 90°
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (47.0, 20.0, 24.12)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (5.0, 2.0, 24.6)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif, comment=b"Jeanne Dupont 06 12 34 56 78")
    return out.getvalue()


@pytest.fixture
def report_id(tmp_store, taxonomy) -> str:
    result = record_report(tmp_store, FieldEntry(lat=NORTH_POINT[0], lon=NORTH_POINT[1], category="tags",
                                                 observed_at=pd.Timestamp("2026-03-01T10:00", tz="Europe/Paris")),
                           taxonomy=taxonomy)
    return result.report_id


def test_phone_photo_is_accepted_resized_and_stripped(tmp_store, report_id):
    data = phone_jpeg()
    with Image.open(io.BytesIO(data)) as original:
        assert original.size == (4000, 3000)
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo does carry a position
    photo_id = add_photo(tmp_store, report_id, data, filename="IMG_0001.jpg", added_by="Léa")
    [info] = list_photos(tmp_store, report_id)
    assert (info.id, info.filename, info.added_by) == (photo_id, "IMG_0001.jpg", "Léa")
    # orientation applied before resizing: the upright photo is portrait
    assert (info.width, info.height) == (DISPLAY_SIDE * 3 // 4, DISPLAY_SIDE)
    for variant, side in (("display", DISPLAY_SIDE), ("thumbnail", THUMBNAIL_SIDE)):
        shown = read_photo(tmp_store, photo_id, variant=variant)
        with Image.open(io.BytesIO(shown)) as image:
            assert max(image.size) == side
            assert not image.getexif()  # no EXIF at all: no GPS, device, owner nor time
            assert "comment" not in image.info and "exif" not in image.info and "xmp" not in image.info
        assert b"Exif" not in shown and b"Jeanne" not in shown and b"TestPhone" not in shown
    assert read_photo(tmp_store, photo_id, variant="original") == data  # coordinator only


def test_several_photos_per_report_and_delete(tmp_store, report_id):
    small = io.BytesIO()
    Image.new("RGB", (640, 480), "red").save(small, format="PNG")
    first = add_photo(tmp_store, report_id, small.getvalue(), filename="a.png")
    second = add_photo(tmp_store, report_id, small.getvalue(), filename="b.png")
    assert [p.id for p in list_photos(tmp_store, report_id)] == [first, second]
    assert list_photos(tmp_store, report_id)[0].width == 640  # never enlarged
    assert delete_photo(tmp_store, first)
    assert [p.id for p in list_photos(tmp_store, report_id)] == [second]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "fichier vide"),
    (b"%PDF-1.4 not an image", "pas une image"),
])
def test_bad_files_are_refused(tmp_store, report_id, data, message):
    with pytest.raises(InputError, match=message):
        add_photo(tmp_store, report_id, data, filename="x")
    assert list_photos(tmp_store, report_id) == []


def test_unknown_report_is_refused(tmp_store):
    small = io.BytesIO()
    Image.new("RGB", (10, 10)).save(small, format="JPEG")
    with pytest.raises(InputError, match="signalement inconnu"):
        add_photo(tmp_store, "nope", small.getvalue())
