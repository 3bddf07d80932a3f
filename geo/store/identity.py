"""Source ids reused for different reports: two numberings in one namespace, quarantined, never merged.

A report keeps its source's id (``kobo:<uuid>``, ``import:<N°>``…), so that importing a file again
stores nothing new. But a plain spreadsheet's ``N°`` column restarts at 1 in every file: the row
``import:12`` of November's file is not the report ``import:12`` of October's. A row whose id is
already taken -- by a stored report, or by an earlier row of the same file -- with *another
observation time or position* is therefore not a duplicate: it is quarantined with a reason that
says how to import it (``--source``), and nothing is lost. The same id with the same time and place
stays a duplicate (an updated export of the same source).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ReusedId", "reused_in_chunk", "REUSED_IN_FILE", "SAME_PLACE_DEGREES"]

SAME_PLACE_DEGREES = 1e-6  # about 0.1 m: the same point, whatever the rounding of a re-export
_HINT = ("deux numérotations différentes ? Importez ce fichier avec --source NOM (un nom par numérotation) "
         "pour les distinguer")
REUSED_IN_FILE = f"identifiant déjà utilisé par une ligne précédente du fichier, à une autre date ou position : {_HINT}"


@dataclass(frozen=True)
class ReusedId:
    """A staged row not stored because its id belongs to another report (other time or position)."""

    row_number: int
    source_id: str
    report_id: str
    batch_id: int | None

    def quarantine_entry(self, *, batch_id: int, column: str, raw: str) -> dict:
        """Return the row's quarantine entry (as :meth:`geo.store.database.Store.insert_quarantine` takes it)."""
        reasons = [{"row": self.row_number, "column": column, "value": self.source_id, "reason": self.reason()}]
        return {"batch_id": batch_id, "row_number": self.row_number, "raw": raw,
                "reasons": json.dumps(reasons, ensure_ascii=False)}

    def reason(self) -> str:
        """Return the quarantine reason, naming the report that holds the id."""
        where = f" (lot {self.batch_id})" if self.batch_id is not None else ""
        return (f"identifiant déjà utilisé par le signalement {self.report_id}{where}, à une autre date ou "
                f"position : {_HINT}")


def reused_in_chunk(ids: pd.Series, observed: pd.Series, lat: pd.Series, lon: pd.Series,
                    candidates: np.ndarray) -> np.ndarray:
    """Return the mask of rows whose id an earlier candidate row has, with another time or position.

    Parameters
    ----------
    ids
        Source id text of every row (``""`` where none).
    observed, lat, lon
        Time and position of every row.
    candidates
        Rows to compare (valid so far, with an id); the others are never marked.
    """
    marked = np.zeros(len(ids), dtype=bool)
    keys = ids.to_numpy(dtype=object)[candidates]
    if len(keys) < 2:
        return marked
    frame = pd.DataFrame({"id": keys, "t": observed.to_numpy()[candidates], "lat": lat.to_numpy()[candidates],
                          "lon": lon.to_numpy()[candidates]})
    repeated = frame["id"].duplicated(keep=False).to_numpy()
    if not repeated.any():
        return marked
    group = frame[repeated]
    first = group.groupby("id", sort=False)[["t", "lat", "lon"]].transform("first")
    other = ((first["t"] != group["t"]) | ((first["lat"] - group["lat"]).abs() > SAME_PLACE_DEGREES)
             | ((first["lon"] - group["lon"]).abs() > SAME_PLACE_DEGREES)).to_numpy()
    positions = np.flatnonzero(candidates)[np.flatnonzero(repeated)[other]]
    marked[positions] = True
    return marked
