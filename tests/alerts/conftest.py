"""A demo store with a known end (Monday 2 March 2026): its planted spike is in the weeks of 16 and 23 February.

The demo store holds the demo partners and routing (data/partners.csv, data/routing.csv, loaded by the workflow).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.demo.build import build_demo_store
from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.taxonomy import load_taxonomy
from tests.sqlite_copy import copy_sqlite

DEMO_END = pd.Timestamp("2026-03-02")
SPIKE_WEEK = "2026-02-16"  # PLANTED_PATTERNS["spike"]: the last 2 weeks before DEMO_END


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    store = Store(f"sqlite:///{path}")
    build_demo_store(store, taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"), end=DEMO_END)
    store.engine.dispose()
    return path


@pytest.fixture
def demo_url(demo_file: Path, tmp_path: Path) -> str:
    """A private copy of the demo store (tests may write to it)."""
    copy_sqlite(demo_file, tmp_path / "demo.sqlite")
    return f"sqlite:///{tmp_path / 'demo.sqlite'}"
