"""Order a day's patrol targets as a closed tour from the office and back.

Distances are great-circle metres (haversine on a sphere of the mean Earth radius), so the
tour ignores roads: it is a sensible visiting order, not a navigation route. Points are plain
(lon, lat) WGS-84 pairs; the service layer loads them from PostGIS and stores the result.

The heuristic is nearest neighbour from the office, then 2-opt until no segment reversal
shortens the tour. 2-opt alone stays more than 10% above the optimum on a few small
instances in a thousand, so its local optimum is then polished with Or-opt (moving a run of
one to three consecutive stops elsewhere, either way round), alternating with 2-opt until
neither finds a gain. Every step breaks ties by position, so the same input always gives the
same order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

EARTH_RADIUS_M = 6371008.8  # IUGG mean radius
MAX_BRUTE_FORCE_STOPS = 9
# Float noise in a sum of four distances is far below a millimetre; anything smaller than
# this is not a real improvement and would only make 2-opt cycle.
_MIN_GAIN_M = 1e-6

Point = tuple[float, float]


class InvalidCoordinate(ValueError):
    """A (lon, lat) pair that is not a WGS-84 position."""

    def __init__(self, *, field: str, point: object) -> None:
        super().__init__(f"{field}: {point!r} is not a WGS-84 (lon, lat) pair within [-180, 180] x [-90, 90]")
        self.field = field
        self.point = point


class TooManyStopsForBruteForce(ValueError):
    def __init__(self, count: int) -> None:
        super().__init__(f"stops: brute force is limited to {MAX_BRUTE_FORCE_STOPS} stops, got {count}")
        self.count = count


@dataclass(frozen=True)
class Route:
    """A closed tour: office -> stops[order[0]] -> ... -> stops[order[-1]] -> office.

    `legs_m` has one entry per leg including the return to the office (empty when there are
    no stops), so `sum(legs_m) == total_m`.
    """

    order: list[int]
    legs_m: list[float]
    total_m: float


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    lon1, lat1 = map(math.radians, a)
    lon2, lat2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def plan_route(*, office: Point, stops: Sequence[Point]) -> Route:
    """Visiting order for `stops` as a closed tour from and back to `office`."""
    points = _validated_points(office=office, stops=stops)
    n = len(stops)
    if n == 0:
        return Route(order=[], legs_m=[], total_m=0.0)
    matrix = _distance_matrix(points)
    tour = _nearest_neighbour_tour(matrix)
    tour = _improve(tour, matrix)
    return _route_from_tour(tour, matrix)


def tour_length(*, office: Point, stops: Sequence[Point], order: Sequence[int]) -> float:
    """Length in metres of the closed tour office -> stops in `order` -> office."""
    points = _validated_points(office=office, stops=stops)
    if sorted(order) != list(range(len(stops))):
        raise ValueError(f"order: must be a permutation of 0..{len(stops) - 1}, got {list(order)!r}")
    if not order:
        return 0.0
    nodes = [0, *(i + 1 for i in order), 0]
    return math.fsum(haversine_m(points[a], points[b]) for a, b in itertools.pairwise(nodes))


def brute_force_route(*, office: Point, stops: Sequence[Point]) -> Route:
    """The shortest closed tour by trying every order; for checking the heuristic on small inputs."""
    points = _validated_points(office=office, stops=stops)
    n = len(stops)
    if n > MAX_BRUTE_FORCE_STOPS:
        raise TooManyStopsForBruteForce(n)
    if n == 0:
        return Route(order=[], legs_m=[], total_m=0.0)
    matrix = _distance_matrix(points).tolist()
    best_tour: list[int] = []
    best_length = math.inf
    # permutations() yields in lexicographic order and only a strictly shorter tour replaces
    # the best so far, so ties go to the lexicographically smallest order.
    for perm in itertools.permutations(range(1, n + 1)):
        nodes = (0, *perm, 0)
        length = sum(matrix[a][b] for a, b in itertools.pairwise(nodes))
        if length < best_length - _MIN_GAIN_M:
            best_length = length
            best_tour = list(nodes)
    return _route_from_tour(best_tour, np.asarray(matrix))


def _validated_points(*, office: Point, stops: Sequence[Point]) -> list[Point]:
    points = [_validated_point(office, field="office")]
    points.extend(_validated_point(stop, field=f"stops[{i}]") for i, stop in enumerate(stops))
    return points


def _validated_point(point: object, *, field: str) -> Point:
    try:
        raw_lon, raw_lat = cast(Any, point)
        lon, lat = float(raw_lon), float(raw_lat)
    except (TypeError, ValueError):
        raise InvalidCoordinate(field=field, point=point) from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidCoordinate(field=field, point=point)
    return (lon, lat)


def _distance_matrix(points: Sequence[Point]) -> np.ndarray:
    coords = np.radians(np.asarray(points, dtype=float))
    lon, lat = coords[:, 0], coords[:, 1]
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    matrix: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    # Exact symmetry keeps 2-opt's gain arithmetic consistent in both directions.
    symmetric: np.ndarray = (matrix + matrix.T) / 2
    return symmetric


def _nearest_neighbour_tour(matrix: np.ndarray) -> list[int]:
    """Node 0 is the office; the tour starts and ends there."""
    size = matrix.shape[0]
    unvisited = np.ones(size, dtype=bool)
    unvisited[0] = False
    tour = [0]
    current = 0
    for _ in range(size - 1):
        candidates = np.where(unvisited, matrix[current], np.inf)
        current = int(np.argmin(candidates))  # argmin returns the first minimum: lowest index wins
        unvisited[current] = False
        tour.append(current)
    tour.append(0)
    return tour


def _improve(tour: list[int], matrix: np.ndarray) -> list[int]:
    nodes = np.asarray(tour, dtype=int)
    while True:
        _two_opt(nodes, matrix)
        if not _or_opt(nodes, matrix):
            improved: list[int] = nodes.tolist()
            return improved


def _two_opt(nodes: np.ndarray, matrix: np.ndarray) -> None:
    """Reverse tour segments while that shortens the tour.

    For each start position the best end position is taken (first one on ties), then the
    scan moves on; passes repeat until a whole pass finds nothing, which is 2-opt's local
    optimum. Positions 0 and len-1 are the office and never move. Works in place.
    """
    last = len(nodes) - 2  # last stop position
    improved = True
    while improved:
        improved = False
        for i in range(1, last):
            js = np.arange(i + 1, last + 1)
            a, b = nodes[i - 1], nodes[i]
            c, d = nodes[js], nodes[js + 1]
            gains = matrix[a, b] + matrix[c, d] - matrix[a, c] - matrix[b, d]
            best = int(np.argmax(gains))
            if gains[best] > _MIN_GAIN_M:
                j = int(js[best])
                nodes[i : j + 1] = nodes[i : j + 1][::-1].copy()
                improved = True


_OR_OPT_RUN_LENGTHS = (1, 2, 3)


def _or_opt(nodes: np.ndarray, matrix: np.ndarray) -> bool:
    """One pass of moving runs of consecutive stops to a better place; True if anything moved.

    For each run (shortest runs first, then by start position) the best insertion edge is
    taken, the first one on ties, trying the run as it is and reversed. Works in place.
    """
    moved = False
    size = len(nodes)
    for length in _OR_OPT_RUN_LENGTHS:
        for start in range(1, size - 1 - length + 1):
            end = start + length - 1
            before, after = nodes[start - 1], nodes[end + 1]
            first, final = nodes[start], nodes[end]
            removal_gain = matrix[before, first] + matrix[final, after] - matrix[before, after]
            # Insertion edges (p, p+1) of the tour with the run taken out; the edge that
            # closes the gap (before, after) would put the run back where it was.
            rest = np.concatenate([nodes[:start], nodes[end + 1 :]])
            left, right = rest[:-1], rest[1:]
            keep = np.arange(len(left)) != start - 1
            cost_forward = matrix[left, first] + matrix[final, right] - matrix[left, right]
            cost_reversed = matrix[left, final] + matrix[first, right] - matrix[left, right]
            gains = np.where(keep, removal_gain - np.minimum(cost_forward, cost_reversed), -np.inf)
            edge = int(np.argmax(gains))
            if gains[edge] <= _MIN_GAIN_M:
                continue
            run = nodes[start : end + 1].copy()
            if cost_reversed[edge] < cost_forward[edge]:
                run = run[::-1]
            nodes[:] = np.concatenate([rest[: edge + 1], run, rest[edge + 1 :]])
            moved = True
    return moved


def _route_from_tour(tour: Sequence[int], matrix: np.ndarray) -> Route:
    legs = [float(matrix[a, b]) for a, b in itertools.pairwise(tour)]
    return Route(order=[node - 1 for node in tour[1:-1]], legs_m=legs, total_m=math.fsum(legs))
