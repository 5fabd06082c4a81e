import math
import random

import pytest

from geo import routing

# A district office in Hangzhou and points within some 20 km of it.
OFFICE = (120.155, 30.274)


def _random_stops(rng: random.Random, count: int) -> list[tuple[float, float]]:
    return [(120.0 + rng.random() * 0.35, 30.1 + rng.random() * 0.35) for _ in range(count)]


def test_haversine_matches_a_known_distance():
    # One degree of latitude on the mean-radius sphere is R * pi / 180.
    assert routing.haversine_m((0.0, 0.0), (0.0, 1.0)) == pytest.approx(111_195.08, abs=0.01)
    # Beijing Tiananmen to Shanghai People's Square, about 1,067 km as the crow flies.
    assert routing.haversine_m((116.3975, 39.9087), (121.4737, 31.2304)) == pytest.approx(
        1_067_000, rel=0.005
    )


def test_no_stops_is_an_empty_tour():
    route = routing.plan_route(office=OFFICE, stops=[])
    assert route == routing.Route(order=[], legs_m=[], total_m=0.0)


def test_one_stop_goes_there_and_back():
    stop = (120.2, 30.3)
    route = routing.plan_route(office=OFFICE, stops=[stop])
    one_way = routing.haversine_m(OFFICE, stop)
    assert route.order == [0]
    assert route.legs_m == pytest.approx([one_way, one_way])
    assert route.total_m == pytest.approx(2 * one_way)


def test_route_visits_every_stop_once_and_legs_add_up():
    stops = _random_stops(random.Random(11), 25)
    route = routing.plan_route(office=OFFICE, stops=stops)
    assert sorted(route.order) == list(range(25))
    assert len(route.legs_m) == 26
    assert route.legs_m[0] == pytest.approx(routing.haversine_m(OFFICE, stops[route.order[0]]))
    assert route.legs_m[-1] == pytest.approx(routing.haversine_m(stops[route.order[-1]], OFFICE))
    assert math.fsum(route.legs_m) == pytest.approx(route.total_m)
    assert routing.tour_length(office=OFFICE, stops=stops, order=route.order) == pytest.approx(route.total_m)


def test_same_input_gives_the_same_route():
    stops = _random_stops(random.Random(5), 40)
    first = routing.plan_route(office=OFFICE, stops=stops)
    for _ in range(3):
        assert routing.plan_route(office=OFFICE, stops=list(stops)) == first


def test_stops_on_a_line_are_visited_out_and_back_without_zigzag():
    # Stops given out of order along a road running due north of the office (a meridian is a
    # great circle, so the shortest tour is exactly out to the farthest stop and back).
    stops = [(120.155, 30.274 + 0.01 * k) for k in (3, 1, 4, 2, 5)]
    route = routing.plan_route(office=OFFICE, stops=stops)
    farthest = routing.haversine_m(OFFICE, stops[4])
    assert route.total_m == pytest.approx(2 * farthest, rel=1e-9)


def test_duplicate_stops_cost_nothing_extra():
    stops = _random_stops(random.Random(3), 6)
    once = routing.plan_route(office=OFFICE, stops=stops)
    twice = routing.plan_route(office=OFFICE, stops=stops + stops)
    assert sorted(twice.order) == list(range(12))
    assert twice.total_m <= once.total_m * 1.10


@pytest.mark.parametrize("seed", range(48))
def test_small_instances_are_within_ten_percent_of_the_optimum(seed):
    rng = random.Random(1000 + seed)
    stops = _random_stops(rng, 3 + seed % 6)  # 3..8 stops
    route = routing.plan_route(office=OFFICE, stops=stops)
    best = routing.brute_force_route(office=OFFICE, stops=stops)
    assert best.total_m <= route.total_m + 1e-6
    assert route.total_m <= 1.10 * best.total_m


def test_brute_force_finds_the_obvious_optimum_and_refuses_large_inputs():
    # Four corners of a square around the office: the optimum goes round the square.
    square = [(120.165, 30.284), (120.145, 30.264), (120.145, 30.284), (120.165, 30.264)]
    best = routing.brute_force_route(office=OFFICE, stops=square)
    visited = [square[i] for i in best.order]
    for a, b in zip(visited, visited[1:], strict=False):
        assert a[0] == b[0] or a[1] == b[1]  # consecutive corners share a side, never a diagonal
    with pytest.raises(routing.TooManyStopsForBruteForce):
        routing.brute_force_route(office=OFFICE, stops=_random_stops(random.Random(1), 10))


def test_two_hundred_stops_are_ordered():
    stops = _random_stops(random.Random(200), 200)
    route = routing.plan_route(office=OFFICE, stops=stops)
    assert sorted(route.order) == list(range(200))
    nearest_neighbour_only = _nearest_neighbour_length(stops)
    assert route.total_m < nearest_neighbour_only


def _nearest_neighbour_length(stops):
    remaining = list(range(len(stops)))
    here, total = OFFICE, 0.0
    while remaining:
        nxt = min(remaining, key=lambda i: routing.haversine_m(here, stops[i]))
        total += routing.haversine_m(here, stops[nxt])
        here = stops[nxt]
        remaining.remove(nxt)
    return total + routing.haversine_m(here, OFFICE)


@pytest.mark.parametrize(
    ("office", "stops", "field"),
    [
        ((200.0, 30.0), [], "office"),
        (OFFICE, [(120.2, 30.3), (120.2, 95.0)], "stops[1]"),
        (OFFICE, [(float("nan"), 30.3)], "stops[0]"),
        (OFFICE, [("east", 30.3)], "stops[0]"),
        (OFFICE, [(120.2,)], "stops[0]"),
    ],
)
def test_invalid_coordinates_are_refused_naming_the_field(office, stops, field):
    with pytest.raises(routing.InvalidCoordinate) as caught:
        routing.plan_route(office=office, stops=stops)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_tour_length_refuses_an_order_that_is_not_a_permutation():
    stops = _random_stops(random.Random(2), 3)
    with pytest.raises(ValueError, match="order"):
        routing.tour_length(office=OFFICE, stops=stops, order=[0, 0, 1])
