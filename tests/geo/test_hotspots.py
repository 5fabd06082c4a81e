from math import erfc, sqrt

import numpy as np
import numpy.typing as npt
import pytest

from geo import hotspots

SIDE = 20
SPACING_M = 500.0
QUEEN_BAND_M = 750.0  # reaches the 8 surrounding cells (diagonal 707 m), not the next ring (1000 m)


def _grid() -> tuple[list[str], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    rows, cols = np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")
    ids = [f"r{r}c{c}" for r, c in zip(rows.ravel(), cols.ravel(), strict=True)]
    xs = (cols.ravel() * SPACING_M + 400_000.0).astype(np.float64)
    ys = (rows.ravel() * SPACING_M + 3_000_000.0).astype(np.float64)
    return ids, xs, ys


def _block(row0: int, col0: int, size: int = 3) -> set[str]:
    return {f"r{r}c{c}" for r in range(row0, row0 + size) for c in range(col0, col0 + size)}


def _with_block(background: npt.NDArray[np.int_], block: set[str], value: int) -> npt.NDArray[np.int_]:
    ids, _, _ = _grid()
    out = background.copy()
    for i, cell_id in enumerate(ids):
        if cell_id in block:
            out[i] = value
    return out


def _textbook_gi_star_z(
    values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Getis & Ord (1995) Gi* z-score, with w_ii = 1, written straight from the formula."""
    n = values.size
    mean = values.mean()
    s = np.sqrt((values**2).mean() - mean**2)
    w_sum = weights.sum(axis=1)
    s1 = (weights**2).sum(axis=1)
    numerator = weights @ values - mean * w_sum
    return numerator / (s * np.sqrt((n * s1 - w_sum**2) / (n - 1)))


def _dense_weights(xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64], *, band: float) -> np.ndarray:
    d = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
    return (d <= band).astype(float)  # includes the cell itself (d = 0)


def _dense_knn_weights(xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64], *, k: int) -> np.ndarray:
    d = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
    np.fill_diagonal(d, np.inf)
    w = np.eye(xs.size)
    nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
    for i, row in enumerate(nearest):
        w[i, row] = 1.0
    return w


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_uniform_poisson_noise_has_no_hotspot_at_95_after_fdr(seed: int) -> None:
    ids, xs, ys = _grid()
    values = np.random.default_rng(seed).poisson(5.0, size=len(ids))
    stats = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M)
    assert [s.id for s in stats if s.confidence is not None and s.confidence >= 95] == []


def test_without_fdr_noise_does_produce_spurious_cells() -> None:
    # The reason for the correction: 400 uncorrected tests flag dozens of cells at 90%.
    ids, xs, ys = _grid()
    values = np.random.default_rng(0).poisson(5.0, size=len(ids))
    stats = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M, fdr=False)
    assert sum(s.hot_cold != "not_significant" for s in stats) > 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_high_block_is_hot_at_99(seed: int) -> None:
    ids, xs, ys = _grid()
    block = _block(8, 11)
    values = _with_block(np.random.default_rng(seed).poisson(5.0, size=len(ids)), block, 30)
    stats = {s.id: s for s in hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M)}
    for cell_id in block:
        assert stats[cell_id].hot_cold == "hot"
        assert stats[cell_id].confidence == 99
    far_away = _block(0, 0, size=5)
    assert all(stats[cell_id].hot_cold != "hot" for cell_id in far_away)


def test_planted_low_block_in_high_background_is_cold() -> None:
    ids, xs, ys = _grid()
    block = _block(4, 4)
    values = _with_block(np.random.default_rng(7).poisson(30.0, size=len(ids)), block, 0)
    stats = {s.id: s for s in hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M)}
    for cell_id in block:
        assert stats[cell_id].hot_cold == "cold"
        assert stats[cell_id].z < 0
    assert stats["r5c5"].confidence == 99


def test_cold_block_goes_unseen_when_empty_cells_are_left_out() -> None:
    # The documented consequence of omitting zero-count cells: cold spots vanish.
    ids, xs, ys = _grid()
    block = _block(4, 4)
    values = _with_block(np.random.default_rng(7).poisson(30.0, size=len(ids)), block, 0)
    keep = values > 0
    stats = hotspots.gi_star(
        ids=[i for i, k in zip(ids, keep, strict=True) if k],
        xs=xs[keep],
        ys=ys[keep],
        values=values[keep],
        distance_m=QUEEN_BAND_M,
    )
    assert not any(s.hot_cold == "cold" and s.confidence == 99 for s in stats)


@pytest.mark.parametrize("seed", [0, 3])
def test_distance_band_z_matches_the_textbook_formula(seed: int) -> None:
    ids, xs, ys = _grid()
    values = _with_block(np.random.default_rng(seed).poisson(5.0, size=len(ids)), _block(2, 14), 25)
    stats = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M)
    expected = _textbook_gi_star_z(values.astype(float), _dense_weights(xs, ys, band=QUEEN_BAND_M))
    np.testing.assert_allclose([s.z for s in stats], expected, rtol=1e-9, atol=1e-9)


def test_knn_z_matches_the_textbook_formula() -> None:
    # Irregular centroids, so the k nearest are unambiguous (no distance ties as on a grid).
    rng = np.random.default_rng(11)
    xs = rng.uniform(0, 20_000, 300)
    ys = rng.uniform(0, 20_000, 300)
    values = rng.poisson(4.0, 300)
    stats = hotspots.gi_star(ids=list(range(300)), xs=xs, ys=ys, values=values, neighbours="knn", k=6)
    expected = _textbook_gi_star_z(values.astype(float), _dense_knn_weights(xs, ys, k=6))
    np.testing.assert_allclose([s.z for s in stats], expected, rtol=1e-9, atol=1e-9)


def test_knn_also_finds_the_planted_block() -> None:
    ids, xs, ys = _grid()
    block = _block(10, 3)
    values = _with_block(np.random.default_rng(5).poisson(5.0, size=len(ids)), block, 30)
    stats = {s.id: s for s in hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, neighbours="knn", k=8)}
    assert stats["r11c4"].hot_cold == "hot"
    assert stats["r11c4"].confidence == 99
    assert sum(stats[c].hot_cold == "hot" for c in block) >= 5


def test_p_value_is_two_sided_normal() -> None:
    ids, xs, ys = _grid()
    values = _with_block(np.random.default_rng(1).poisson(5.0, size=len(ids)), _block(8, 8), 20)
    stats = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M)
    # Two-sided normal p: 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt 2).
    for s in stats:
        assert s.p == pytest.approx(erfc(abs(s.z) / sqrt(2)), rel=1e-9, abs=1e-15)


def test_default_distance_gives_every_cell_its_nearest_neighbours() -> None:
    ids, xs, ys = _grid()
    values = np.random.default_rng(2).poisson(5.0, size=len(ids))
    default = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values)
    rook = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=SPACING_M * 1.01)
    assert [s.z for s in default] == pytest.approx([s.z for s in rook], rel=1e-12)


def test_results_keep_input_order_ids_and_values() -> None:
    ids, xs, ys = _grid()
    values = np.random.default_rng(3).poisson(5.0, size=len(ids))
    stats = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M)
    assert [s.id for s in stats] == ids
    assert [s.value for s in stats] == values.astype(float).tolist()
    assert all(s.trend is None and s.previous is None for s in stats)


def test_same_input_gives_identical_results() -> None:
    ids, xs, ys = _grid()
    values = np.random.default_rng(4).poisson(5.0, size=len(ids))
    first = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M)
    second = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=values, distance_m=QUEEN_BAND_M)
    assert first == second


def test_constant_counts_have_no_hotspot() -> None:
    ids, xs, ys = _grid()
    for fill in (0, 3):
        stats = hotspots.gi_star(ids=ids, xs=xs, ys=ys, values=np.full(len(ids), fill))
        assert all(s.z == 0.0 and s.p == 1.0 and s.hot_cold == "not_significant" for s in stats)


def test_trend_compares_with_previous_period() -> None:
    ids = ["a", "b", "c", "d", "e"]
    stats = hotspots.gi_star(
        ids=ids,
        xs=[0.0, 500.0, 1000.0, 1500.0, 2000.0],
        ys=[0.0] * 5,
        values=[30, 2, 12, 0, 5],
        previous=[10, 20, 10, 0, 0],
    )
    trends = {s.id: s.trend for s in stats}
    assert trends == {"a": "up", "b": "down", "c": "flat", "d": "flat", "e": "up"}
    assert [s.previous for s in stats] == [10.0, 20.0, 10.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(4, 0, "up"), (3, 0, "flat"), (15, 10, "flat"), (40, 20, "up"), (20, 40, "down"), (0, 0, "flat")],
)
def test_classify_trend_needs_a_change_beyond_poisson_noise(
    current: int, previous: int, expected: str
) -> None:
    assert hotspots.classify_trend(current=current, previous=previous) == expected


def test_stricter_trend_threshold_flattens_moderate_changes() -> None:
    assert hotspots.classify_trend(current=40, previous=20) == "up"
    assert hotspots.classify_trend(current=40, previous=20, trend_z=3.0) == "flat"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"values": [1, 2]}, "values"),
        ({"values": [1, -2, 3, 4]}, "values"),
        ({"values": [1, float("nan"), 3, 4]}, "values"),
        ({"xs": [0.0, 1.0, 2.0]}, "xs"),
        ({"ids": ["a", "a", "b", "c"]}, "ids"),
        ({"neighbours": "queen"}, "neighbours"),
        ({"distance_m": -5.0}, "distance_m"),
        ({"neighbours": "knn", "k": 0}, "k"),
        ({"alpha_levels": (0.05, 1.5)}, "alpha_levels"),
        ({"previous": [1, 2, 3]}, "previous"),
    ],
)
def test_bad_input_is_rejected_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {
        "ids": ["a", "b", "c", "d"],
        "xs": [0.0, 500.0, 0.0, 500.0],
        "ys": [0.0, 0.0, 500.0, 500.0],
        "values": [1, 2, 3, 4],
    }
    arguments.update(kwargs)
    with pytest.raises(hotspots.HotspotError) as caught:
        hotspots.gi_star(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_too_few_cells_is_an_error() -> None:
    with pytest.raises(hotspots.HotspotError) as caught:
        hotspots.gi_star(ids=["a", "b"], xs=[0.0, 1.0], ys=[0.0, 0.0], values=[1, 2])
    assert caught.value.field == "ids"


def test_knn_with_k_beyond_cell_count_uses_all_other_cells() -> None:
    stats = hotspots.gi_star(
        ids=["a", "b", "c", "d"], xs=[0.0, 1.0, 2.0, 3.0], ys=[0.0] * 4, values=[1, 2, 3, 9], neighbours="knn"
    )
    # Every cell sees every cell: each Gi* sum is the grand total, so nothing stands out.
    assert all(s.z == pytest.approx(0.0, abs=1e-9) for s in stats)
