"""Gi* hot spots: the published formula, the FDR step, and no more false hot spots than nominal on noise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.weights import W, lat2W
from shapely.geometry import box

from geo.analysis.hotspots import CLASSES, classify, fdr_adjust, gi_star, report_hotspots


def _chain(n: int) -> W:
    return W({i: [j for j in (i - 1, i, i + 1) if 0 <= j < n] for i in range(n)})


def test_gi_star_z_matches_getis_ord_formula_by_hand():
    x = np.array([0, 1, 5, 1, 0], dtype=float)
    result = gi_star(x, _chain(5), permutations=0)
    # Getis & Ord (1995): z_i = (sum_j w_ij x_j - mean * W_i) / (S * sqrt((n * S1_i - W_i^2) / (n - 1)))
    n, mean = x.size, x.mean()
    s = np.sqrt((x ** 2).mean() - mean ** 2)
    expected = []
    for i in range(n):
        nb = [j for j in (i - 1, i, i + 1) if 0 <= j < n]
        wi = len(nb)
        expected.append((x[nb].sum() - mean * wi) / (s * np.sqrt((n * wi - wi ** 2) / (n - 1))))
    assert result.z == pytest.approx(expected, abs=1e-9)
    assert result.z[2] == pytest.approx(1.2326, abs=1e-4)  # worked by hand: 2.8 / (1.8547 * 1.2247)
    assert result.inference == "analytical"


def test_permutation_inference_is_seeded_and_agrees_with_esda():
    rng = np.random.default_rng(3)
    y = rng.poisson(2, 100).astype(float)
    y[[44, 45, 54, 55]] += 15
    w = lat2W(10, 10)
    a = gi_star(y, w, permutations=199, seed=7)
    b = gi_star(y, w, permutations=199, seed=7)
    assert np.array_equal(a.p, b.p) and a.inference == "permutation"
    ref = esda.G_Local(y, lat2W(10, 10), transform="B", star=True, permutations=199, seed=7, n_jobs=1)
    assert a.z == pytest.approx(ref.Zs)
    assert a.p == pytest.approx(np.minimum(2 * (1 - __import__("scipy").stats.norm.cdf(np.abs(ref.z_sim))), 1))
    assert a.classes[44].startswith("hot") and a.classes[45].startswith("hot")


def test_analytical_path_equals_esda_without_importing_it():
    rng = np.random.default_rng(8)
    y = rng.poisson(3, 144).astype(float)
    y[50:53] += 9
    w = lat2W(12, 12)
    ref = esda.G_Local(y, lat2W(12, 12), transform="B", star=True, permutations=0)
    result = gi_star(y, w.sparse, permutations=0)
    assert result.z == pytest.approx(ref.Zs, abs=1e-9)
    assert result.p == pytest.approx(np.minimum(2 * ref.p_norm, 1), abs=1e-9)  # esda's p_norm is one-sided


def test_fdr_step_on_a_worked_example():
    # Benjamini & Hochberg's step-up: the largest i with p_(i) <= i * alpha / m; here m = 10, alpha = 0.05
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    adjusted = fdr_adjust(p)
    assert list(adjusted <= 0.05) == [True, True] + [False] * 8
    assert esda.fdr(p, 0.05) == pytest.approx(2 * 0.05 / 10)  # esda's bound keeps the same two
    assert list(adjusted <= 0.05) == list(p <= esda.fdr(p, 0.05))
    assert adjusted[0] == pytest.approx(0.01) and adjusted[1] == pytest.approx(0.04)


def test_classes_follow_sign_and_corrected_level():
    z = np.array([3.0, 2.0, 1.7, 0.5, -1.7, -2.0, -3.0, 4.0])
    p_fdr = np.array([0.005, 0.03, 0.08, 0.5, 0.08, 0.03, 0.005, 0.2])
    assert list(classify(z, p_fdr)) == [*CLASSES, "not_significant"]


def test_no_reports_or_flat_counts_give_no_hot_spot():
    for y in (np.zeros(9), np.full(9, 3.0)):
        result = gi_star(y, lat2W(3, 3), permutations=99)
        assert set(result.classes) == {"not_significant"}


def _square_territory() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": ["q"], "name": ["Q"], "population": [1]},
                            geometry=[box(5.00, 47.30, 5.06, 47.34)], crs=4326)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_uniform_noise_gives_no_more_hot_cells_than_nominal(seed):
    territory = _square_territory()
    rng = np.random.default_rng(seed)
    n = rng.poisson(3000)
    reports = pd.DataFrame({"lat": rng.uniform(47.30, 47.34, n), "lon": rng.uniform(5.00, 5.06, n),
                            "neighbourhood": "q"})
    _grid, cells, result = report_hotspots(reports, territory, cell_size=200, permutations=199, seed=seed)
    assert len(cells) > 300
    hot = cells["class"].str.startswith("hot")
    assert hot.mean() <= 0.10  # 90 % level
    assert cells["class"].isin(["hot_95", "hot_99"]).mean() <= 0.05
    assert cells["class"].eq("hot_99").mean() <= 0.01
    # without the FDR step, about 5 % of cells would pass p <= 0.10 on the hot side alone
    assert ((result.p <= 0.10) & (result.z > 0)).mean() > hot.mean()


def test_a_planted_cluster_is_found_hot():
    territory = _square_territory()
    rng = np.random.default_rng(9)
    lat, lon = rng.uniform(47.30, 47.34, 2000), rng.uniform(5.00, 5.06, 2000)
    lat = np.r_[lat, rng.normal(47.32, 0.0008, 150)]
    lon = np.r_[lon, rng.normal(5.03, 0.0012, 150)]
    reports = pd.DataFrame({"lat": lat, "lon": lon, "neighbourhood": "q"})
    grid, cells, _ = report_hotspots(reports, territory, cell_size=200, permutations=199)
    centre = grid.locate(np.array([47.32]), np.array([5.03]))[0]
    assert cells["class"].iloc[centre] == "hot_99"
    # reports in slivers (cells less than 5 % inside) are left out: a handful at most
    assert len(reports) * 0.99 <= cells["count"].sum() <= len(reports)


def test_compiled_code_is_cached_on_disk_for_the_next_process(tmp_path):
    """A process warms up into an empty cache folder: the helpers are cached, the chunk loop is not."""
    script = """
from geo.analysis import jit
jit.warm_up()
print(jit.is_warm())
"""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True,
                          timeout=600, cwd=Path(__file__).resolve().parents[2], env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"]
    assert list(tmp_path.rglob("*.nbi")), "numba's index files are written to the cache folder"
    assert list(tmp_path.rglob("getisord._g_local_star_crand-*.nbc")), "the statistic's machine code is kept"
    # a function taking a compiled function as argument is keyed on its address: never cached (numba#6251)
    assert not list(tmp_path.rglob("crand.compute_chunk-*")), "no cache entry that no later process can find"


def test_background_warm_up_starts_once_when_many_sessions_ask_at_once():
    """Every rerun of every session asks for the warm-up: one thread only is started per process."""
    script = """
import threading
from geo.analysis import jit
barrier = threading.Barrier(8)
started = []
def ask():
    barrier.wait()
    started.append(jit.warm_up_in_background(delay=600))
askers = [threading.Thread(target=ask) for _ in range(8)]
for t in askers: t.start()
for t in askers: t.join()
print(sum(t is not None for t in started), len(started))
"""
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "8"]
