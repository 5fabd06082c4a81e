"""Hotspot cells: Getis-Ord Gi* over grid cells, with a false-discovery-rate correction.

The statistic comes from PySAL (`esda.G_Local`, star=True, binary weights from libpysal's
`DistanceBand` or `KNN`). Inference is analytical (normal approximation, two-sided), never by
permutation, so the same counts always give the same map.

Which cells count: only the cells passed in. If the caller omits empty cells (cells with no
complaints), the mean and spread are computed over non-empty cells only: the mean is inflated,
true hot spots look weaker, cold spots cannot be found at all (a zero count is the coldest
possible value), and a distance band may find no neighbours where empty cells were dropped.
So pass every cell of the area being studied, with zero counts where nothing was reported.

Significance: for each alpha level the two-sided p-values of all cells are corrected together
by Benjamini-Hochberg (`esda.fdr`); a cell's confidence is the highest level (90/95/99) at
which it is still significant. Hot or cold follows the sign of z.

Trend: each cell's count is compared with the previous period's by the usual test for two
Poisson counts: if the rate did not change, given the total the current count is
Binomial(total, 1/2), whose normal approximation is z = (current - previous) / sqrt(current +
previous). |z| >= `trend_z` (default 1.96, about 95%) is "up" or "down", otherwise "flat".
Small counts therefore need a large relative change (0 -> 4 is "up", 10 -> 15 is "flat").
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import esda
import libpysal
import numpy as np
import numpy.typing as npt

HotCold = Literal["hot", "cold", "not_significant"]
Trend = Literal["up", "down", "flat"]
Neighbours = Literal["distance", "knn"]


class HotspotError(ValueError):
    """Input that the hotspot analysis cannot use; `field` names the argument at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class CellStat:
    id: Hashable
    value: float
    z: float
    p: float
    hot_cold: HotCold
    confidence: int | None
    trend: Trend | None
    previous: float | None


def gi_star(
    *,
    ids: Sequence[Hashable] | npt.NDArray[Any],
    xs: npt.ArrayLike,
    ys: npt.ArrayLike,
    values: npt.ArrayLike,
    neighbours: Neighbours = "distance",
    distance_m: float | None = None,
    k: int = 8,
    alpha_levels: Sequence[float] = (0.10, 0.05, 0.01),
    fdr: bool = True,
    previous: npt.ArrayLike | None = None,
    trend_z: float = 1.96,
) -> list[CellStat]:
    """Getis-Ord Gi* for each cell, in the order given.

    xs, ys are cell centroids in a metric projection (metres). With neighbours="distance",
    cells whose centroids are within `distance_m` are neighbours (binary weights); when
    `distance_m` is None the smallest distance that gives every cell at least one neighbour is
    used. With neighbours="knn", the `k` nearest cells (at most n - 1). The cell itself is
    always included (the "star"). If all values are equal, every z is 0 and nothing is
    significant.
    """
    # Plain Python ids (not numpy scalars), so results compare and serialise naturally.
    id_list: list[Hashable] = ids.tolist() if isinstance(ids, np.ndarray) else list(ids)
    n = len(id_list)
    x_arr = _finite_array("xs", xs, n)
    y_arr = _finite_array("ys", ys, n)
    value_arr = _count_array("values", values, n)
    previous_arr = _count_array("previous", previous, n) if previous is not None else None
    if n < 3:
        raise HotspotError("ids", f"at least 3 cells are needed, got {n}")
    if len(set(id_list)) != n:
        raise HotspotError("ids", "cell ids must be unique")
    levels = _alpha_levels(alpha_levels)
    if not (math.isfinite(trend_z) and trend_z > 0):
        raise HotspotError("trend_z", f"must be a positive number, got {trend_z!r}")

    weights = _weights(np.column_stack([x_arr, y_arr]), neighbours=neighbours, distance_m=distance_m, k=k)
    z, p = _z_and_p(value_arr, weights)
    confidence = _confidence(p, levels=levels, fdr=fdr)
    trend = _trends(value_arr, previous_arr, trend_z=trend_z) if previous_arr is not None else [None] * n

    stats: list[CellStat] = []
    for i, cell_id in enumerate(id_list):
        conf = confidence[i]
        hot_cold: HotCold = "not_significant" if conf is None else ("hot" if z[i] > 0 else "cold")
        stats.append(
            CellStat(
                id=cell_id,
                value=float(value_arr[i]),
                z=float(z[i]),
                p=float(p[i]),
                hot_cold=hot_cold,
                confidence=conf,
                trend=trend[i],
                previous=None if previous_arr is None else float(previous_arr[i]),
            )
        )
    return stats


def classify_trend(*, current: float, previous: float, trend_z: float = 1.96) -> Trend:
    """Classify one cell's count against the previous period as up, down or flat (see module notes)."""
    total = current + previous
    if total <= 0:
        return "flat"
    score = (current - previous) / math.sqrt(total)
    if score >= trend_z:
        return "up"
    if score <= -trend_z:
        return "down"
    return "flat"


# --------------------------------------------------------------------------- internals


def _finite_array(field: str, data: npt.ArrayLike, n: int) -> npt.NDArray[np.float64]:
    try:
        arr = np.asarray(data, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise HotspotError(field, "must be numbers") from None
    if arr.shape[0] != n:
        raise HotspotError(field, f"has {arr.shape[0]} entries but there are {n} ids")
    if not np.isfinite(arr).all():
        raise HotspotError(field, "contains NaN or infinite values")
    return arr


def _count_array(field: str, data: npt.ArrayLike, n: int) -> npt.NDArray[np.float64]:
    arr = _finite_array(field, data, n)
    if (arr < 0).any():
        raise HotspotError(field, "counts cannot be negative")
    return arr


def _alpha_levels(alpha_levels: Sequence[float]) -> list[float]:
    levels = sorted({float(a) for a in alpha_levels}, reverse=True)
    if not levels or any(not 0.0 < a < 1.0 for a in levels):
        raise HotspotError("alpha_levels", f"need one or more levels between 0 and 1, got {alpha_levels!r}")
    return levels


def _weights(
    coords: npt.NDArray[np.float64], *, neighbours: str, distance_m: float | None, k: int
) -> libpysal.weights.W:
    n = coords.shape[0]
    with warnings.catch_warnings():
        # Islands and disconnected components are legitimate here (a cell far from the rest).
        warnings.simplefilter("ignore")
        if neighbours == "distance":
            if distance_m is None:
                threshold = float(libpysal.weights.min_threshold_distance(coords))
                # Grid spacings are often equal to the last bit; a hair more keeps ties inside the band.
                threshold *= 1.0 + 1e-9
            else:
                threshold = float(distance_m)
                if not (math.isfinite(threshold) and threshold > 0):
                    raise HotspotError(
                        "distance_m", f"must be a positive number of metres, got {distance_m!r}"
                    )
            return libpysal.weights.DistanceBand(
                coords, threshold=threshold, binary=True, silence_warnings=True
            )
        if neighbours == "knn":
            if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
                raise HotspotError("k", f"must be a positive whole number, got {k!r}")
            return libpysal.weights.KNN(coords, k=min(int(k), n - 1), silence_warnings=True)
    raise HotspotError("neighbours", f"must be 'distance' or 'knn', got {neighbours!r}")


def _z_and_p(
    values: npt.NDArray[np.float64], weights: libpysal.weights.W
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        local = esda.G_Local(values, weights, transform="B", star=True, permutations=0)
    z = np.asarray(local.Zs, dtype=np.float64)
    # Constant (or all-zero) values have no spread: z is 0/0; no cell stands out.
    undefined = ~np.isfinite(z)
    z = np.where(undefined, 0.0, z)
    p = np.where(undefined, 1.0, np.minimum(1.0, 2.0 * np.asarray(local.p_norm, dtype=np.float64)))
    return z, p


def _confidence(p: npt.NDArray[np.float64], *, levels: list[float], fdr: bool) -> list[int | None]:
    confidence: list[int | None] = [None] * p.shape[0]
    # levels run from loose to strict, so a later (stricter) level overwrites an earlier one.
    for alpha in levels:
        # esda.fdr returns the Benjamini-Hochberg cut-off k*alpha/n; rejecting p strictly below
        # it is exactly the BH rule. When nothing is rejected it returns alpha/n, below every p.
        cutoff = float(esda.fdr(p, alpha)) if fdr else alpha
        for i in np.flatnonzero(p < cutoff):
            confidence[int(i)] = round(100 * (1 - alpha))
    return confidence


def _trends(
    current: npt.NDArray[np.float64], previous: npt.NDArray[np.float64], *, trend_z: float
) -> list[Trend | None]:
    return [
        classify_trend(current=float(c), previous=float(b), trend_z=trend_z)
        for c, b in zip(current, previous, strict=True)
    ]
