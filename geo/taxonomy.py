"""Load the editable taxonomy (registres, categories, severities, statuses) and match labels to it."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError

__all__ = ["Category", "Taxonomy", "load_taxonomy", "normalize_label", "UNKNOWN_CATEGORY"]

UNKNOWN_CATEGORY = "autre"
_SEVERITY_WORDS = {"gene": 1, "faible": 1, "a traiter": 2, "moyenne": 2, "moyen": 2, "danger": 3, "urgent": 3,
                   "grave": 3}
# Statuses of other tools (normalised): Open311 GeoReport v2, then FixMyStreet's states.
_EXTERNAL_STATUS = {
    "open": "nouveau", "closed": "resolu",
    "unconfirmed": "nouveau", "confirmed": "nouveau", "investigating": "pris_en_charge",
    "in progress": "pris_en_charge", "planned": "pris_en_charge", "action scheduled": "pris_en_charge",
    "fixed": "resolu", "fixed user": "resolu", "fixed council": "resolu", "unable to fix": "clos_sans_suite",
    "not responsible": "clos_sans_suite", "duplicate": "doublon", "internal referral": "transmis",
}


def normalize_label(text: str) -> str:
    """Return ``text`` lower-cased, without accents, with ``_``/``-``/spaces folded to one space."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("’", "'")
    return re.sub(r"[\s_\-]+", " ", plain).strip()


def _map_distinct(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """Apply ``func`` once per distinct value (files repeat a few labels over many rows)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return _spread(pd.Series([func(value) for value in uniques]), codes, values.index)


def _lookup_distinct(values: pd.Series, func: Callable[[str], object], default: str
                     ) -> tuple[pd.Series, pd.Series]:
    """Look each distinct value up once.

    Returns
    -------
    found, missing
        ``func(value)`` per row as objects, ``default`` where it gives nothing; where it gave nothing.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    found = [func(value) for value in uniques]
    missing = np.array([pd.isna(value) for value in found], dtype=bool)
    filled = np.array([default if absent else value for value, absent in zip(found, missing, strict=True)],
                      dtype=object)
    return (pd.Series(filled.take(codes), index=values.index, dtype=object),
            pd.Series(missing.take(codes), index=values.index))


def _spread(distinct: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Return the value of ``distinct`` at each code (as given by ``pd.factorize``), on ``index``."""
    return pd.Series(distinct.array.take(codes), index=index)


@dataclass(frozen=True)
class Category:
    """One category of report, with its registre and routing hints."""

    code: str
    label: str
    registre: str
    kind: str
    default_severity: int
    partner_type: str | None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """The registres, categories, severities and statuses a structure works with."""

    registres: dict[str, str]
    categories: dict[str, Category]
    severities: dict[int, str]
    statuses: dict[str, str]
    open_statuses: frozenset[str]
    _lookup: dict[str, str] = field(repr=False, default_factory=dict)

    def registre_of(self, category: str) -> str:
        """Return the registre code of a category code."""
        return self.categories[category].registre

    def registres_by_category(self) -> dict[str, str]:
        """Return category code -> registre code (for vectorised ``Series.map``)."""
        return {c.code: c.registre for c in self.categories.values()}

    def current_registres(self, categories: pd.Series, *, stored: pd.Series | None = None) -> pd.Series:
        """Return the registre of each category code under this taxonomy.

        The registre stored with a report is the one of the taxonomy at import time; analyses follow
        the current one, so that editing ``data/taxonomy.json`` moves past reports too. A category the
        taxonomy no longer has keeps its ``stored`` registre (else missing).
        """
        current = categories.map(self.registres_by_category())
        return current if stored is None else current.where(current.notna(), stored)

    def default_severities(self) -> dict[str, int]:
        """Return category code -> default severity (for vectorised ``Series.map``)."""
        return {c.code: c.default_severity for c in self.categories.values()}

    def match_categories(
        self, labels: pd.Series, *, extra: Mapping[str, str] | None = None
    ) -> tuple[pd.Series, pd.Series]:
        """Match free labels to category codes.

        Parameters
        ----------
        labels
            Category values as found in a file (codes, French labels or synonyms).
        extra
            A user mapping label -> code (``--category-map``), tried first.

        Returns
        -------
        codes, unknown
            The category code per row (``autre`` when unknown) and a boolean mask of unknown labels.
        """
        lookup = dict(self._lookup)
        for label, code in (extra or {}).items():
            if code not in self.categories:
                raise InputError(
                    f"category map sends {label!r} to {code!r}, which is not a category code; "
                    f"expected one of {sorted(self.categories)}"
                )
            lookup[normalize_label(label)] = code
        text = labels.fillna("").astype(str)
        return _lookup_distinct(text, lambda v: lookup.get(normalize_label(v)), UNKNOWN_CATEGORY)

    def parse_severity(self, values: pd.Series, categories: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Return severities 1..3 (category default where empty) and a mask of invalid values."""
        text = values.fillna("").astype(str).str.strip()
        # each distinct cell is read once: a file repeats a few values over many rows
        codes, uniques = pd.factorize(text, use_na_sentinel=False)
        distinct = pd.Series(uniques)
        words = pd.Series([_SEVERITY_WORDS.get(normalize_label(v)) for v in uniques], dtype="float64")
        numbers = pd.to_numeric(distinct.str.replace(",", ".", regex=False), errors="coerce")
        numbers = numbers.where(numbers.isin([1, 2, 3]))
        parsed = _spread(numbers.fillna(words), codes, text.index)
        defaults = _map_distinct(categories, self.default_severities().get).astype("float64")
        empty = _spread(distinct.eq(""), codes, text.index)
        invalid = parsed.isna() & ~empty
        result = parsed.where(~empty, defaults).fillna(defaults).astype("int64")
        return result, invalid

    def parse_status(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Return status codes (``nouveau`` where empty) and a mask of unknown statuses."""
        lookup = {normalize_label(code): code for code in self.statuses}
        lookup.update({normalize_label(label): code for code, label in self.statuses.items()})
        lookup.update(_EXTERNAL_STATUS)
        text = values.fillna("").astype(str).str.strip()
        return _lookup_distinct(text, lambda v: lookup.get(normalize_label(v)) if v else "nouveau", "nouveau")


def load_taxonomy(path: Path | str) -> Taxonomy:
    """Read a taxonomy JSON file and check its references.

    Raises
    ------
    InputError
        When the file is not valid JSON or a category names a registre that does not exist.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read taxonomy {path}: {exc}") from exc
    registres = {r["code"]: r["label"] for r in doc["registres"]}
    categories: dict[str, Category] = {}
    for raw in doc["categories"]:
        if raw["registre"] not in registres:
            raise InputError(
                f"category {raw['code']!r} names registre {raw['registre']!r}; expected one of {sorted(registres)}"
            )
        categories[raw["code"]] = Category(
            code=raw["code"],
            label=raw["label"],
            registre=raw["registre"],
            kind=raw.get("kind", "autre"),
            default_severity=int(raw.get("default_severity", 1)),
            partner_type=raw.get("partner_type"),
            synonyms=tuple(raw.get("synonyms", ())),
        )
    if UNKNOWN_CATEGORY not in categories:
        raise InputError(f"taxonomy {path} must keep the category {UNKNOWN_CATEGORY!r} for unknown labels")
    lookup: dict[str, str] = {}
    for cat in categories.values():
        for name in (*cat.synonyms, cat.label, cat.code):
            lookup[normalize_label(name)] = cat.code
    return Taxonomy(
        registres=registres,
        categories=categories,
        severities={int(s["level"]): s["label"] for s in doc["severities"]},
        statuses={s["code"]: s["label"] for s in doc["statuses"]},
        open_statuses=frozenset(s["code"] for s in doc["statuses"] if s.get("open")),
        _lookup=lookup,
    )
