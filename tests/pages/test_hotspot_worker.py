"""The Carte page with the permutation worker: hot spots arrive from it, numba never loads in the page's process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PAGE = """
import json, os, sys, time
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

original = PagesManager.__init__
def init(self, *args, **kwargs):
    original(self, *args, **kwargs)
    PagesManager.uses_pages_directory = False
PagesManager.__init__ = init

from geo.analysis.permutation_worker import shared_worker

def state(at):
    return {"captions": [c.value for c in at.caption], "warnings": [w.value for w in at.warning],
            "exceptions": [str(e.value) for e in at.exception],
            "heavy": sorted(m for m in ("numba", "esda", "libpysal", "llvmlite") if m in sys.modules)}

out = {}
at = AppTest.from_file(sys.argv[1], default_timeout=600)
at.switch_page("pages/carte.py")
at.session_state["carte_points_chauds"] = "hotspots"
at.run()
out["first"] = state(at)
worker = shared_worker()
out["started"] = worker.is_started()
out["warm"] = worker.wait_warm(600)
at.run()
out["warm_run"] = state(at)
os.kill(worker.pid(), 9)
time.sleep(0.5)
at.radio(key="carte_points_chauds").set_value("emerging").run()
out["after_kill"] = state(at)
out["restarted"] = worker.wait_warm(600)
out["restarts"] = worker.restarts
at.run()
out["after_restart"] = state(at)
print(json.dumps(out))
"""


def test_the_carte_page_gets_permutation_hot_spots_without_loading_numba(sqlite_demo, tmp_path):
    """An AppTest process draws hot spots: analytical first, permutation from the worker later, no numba here."""
    env = {**os.environ, "VEILLE_DB_URL": sqlite_demo, "VEILLE_AUTH": "off",
           "VEILLE_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", _PAGE, str(ROOT / "dashboard.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    first, warm = out["first"], out["warm_run"]
    assert first["exceptions"] == [] and first["heavy"] == []
    assert any("provisoire" in c for c in first["captions"])  # analytical until the worker is ready
    assert out["started"] and out["warm"]
    assert warm["exceptions"] == [] and warm["heavy"] == []  # the result arrived, numba stayed out
    assert any("point(s) chaud(s)" in c for c in warm["captions"])
    assert not any("provisoire" in c for c in warm["captions"])  # permutation inference now
    killed = out["after_kill"]
    assert killed["exceptions"] == [] and killed["heavy"] == []
    assert any("redémarre" in w for w in killed["warnings"])  # French message, analytical layer meanwhile
    assert any("provisoire" in c for c in killed["captions"])
    assert out["restarted"] and out["restarts"] == 1
    again = out["after_restart"]
    assert again["exceptions"] == [] and again["heavy"] == [] and again["warnings"] == []
    assert not any("provisoire" in c for c in again["captions"])
