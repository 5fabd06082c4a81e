"""The "double random, one public" (双随机、一公开) draw of routine inspections, as a pure function.

Targets are drawn at random from the regulated units, class by class at the bureau's
sampling rate, and each target gets inspectors drawn at random from the qualified staff,
never one with a declared conflict of interest with that unit.

Reproducibility is the point: a stored draw must replay to the same result years later, on
another machine and another Python. So:

- inputs are put in a canonical order (sorted by id) before anything random happens, so the
  order in which the lists were loaded does not matter;
- randomness comes only from ``random.Random(seed).random()``. Seeding a ``random.Random``
  with an int and its ``random()`` (Mersenne Twister, 53-bit floats) have been stable since
  Python 3.2. Higher-level helpers (``sample``, ``shuffle``, ``randrange``, ``choices``) have
  changed their algorithms between versions, and numpy's ``Generator`` streams are documented
  as not guaranteed stable across numpy versions, so neither is used;
- units are drawn per class and inspectors are assigned from separate streams derived from
  the seed, so adding a unit to one class leaves the other classes' draws unchanged, and
  changing the inspector list leaves the drawn units unchanged;
- the canonical inputs carry an algorithm tag (``ALGORITHM``); if the algorithm ever has to
  change, the tag changes with it and old draws still name the rules they were drawn under.

The weighted draw (Efraimidis-Spirakis) also uses ``math.log``; on the IEEE-754 platforms
Python runs on this differs at most in the last bit, which could only matter for two keys
equal to within that bit.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

ALGORITHM = "ecogrid.double_random/1"
UNIT_CLASSES = ("key", "special", "ordinary")
MIN_INSPECTORS_PER_TARGET = 2
DEFAULT_RATES_PATH = Path(__file__).parent / "data" / "sampling_rates.json"
# Seeds are stored in a PostgreSQL bigint and random.Random folds negative seeds onto
# positive ones, so only 0 <= seed < 2**63 is accepted.
MAX_SEED = 2**63 - 1

Id = int | str


class DrawInputError(ValueError):
    """An input of the draw is unusable; `field` names which one."""

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class InvalidRate(DrawInputError):
    pass


class NotEnoughInspectors(DrawInputError):
    """A unit that could be drawn has fewer eligible inspectors than a check needs."""

    def __init__(self, *, unit_id: Id, eligible: int, required: int) -> None:
        super().__init__(
            field="inspectors",
            message=(
                f"unit {unit_id!r} has {eligible} eligible inspector(s) without a conflict of interest, "
                f"{required} are required per check"
            ),
        )
        self.unit_id = unit_id
        self.eligible = eligible
        self.required = required


@dataclass(frozen=True)
class RegulatedUnit:
    id: Id
    unit_class: str
    risk_weight: float | None = None


@dataclass(frozen=True)
class Target:
    unit_id: Id
    unit_class: str
    inspector_ids: list[Id]


@dataclass(frozen=True)
class ClassCount:
    population: int
    drawn: int
    rate: float


@dataclass(frozen=True)
class Draw:
    """Targets in class order (key, special, ordinary), then by unit id; inspector ids sorted."""

    seed: int
    targets: list[Target]
    counts: dict[str, ClassCount]
    inputs_digest: str
    algorithm: str = ALGORITHM

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_sampling_rates(path: Path | None = None) -> dict[str, float]:
    """Sampling rate per unit class from the bureau's data file (the shipped default if no path)."""
    source = path or DEFAULT_RATES_PATH
    with source.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, Mapping) or not isinstance(data.get("rates"), Mapping):
        raise InvalidRate(field="rates", message=f"{source} has no 'rates' object")
    return _validated_rates(data["rates"])


def generate_seed() -> int:
    """A fresh seed for a new draw; the caller stores it with the draw."""
    return secrets.randbits(63)


def draw(
    *,
    units: Iterable[RegulatedUnit],
    inspectors: Iterable[Id],
    conflicts: Iterable[tuple[Id, Id]],
    seed: int | None,
    rates: Mapping[str, float] | None = None,
    inspectors_per_target: int = MIN_INSPECTORS_PER_TARGET,
    weighted_by_risk: bool = False,
) -> Draw:
    """Draw inspection targets and their inspectors.

    Per class, ceil(rate * population) units are drawn: ceil, so that a class with any units
    and a rate above zero always gets at least one check (the rates are minimums). The draw
    is uniform without replacement, or with `weighted_by_risk` proportional to each unit's
    `risk_weight` (weighted sampling without replacement; every unit then needs a weight, and
    zero-weight units are drawn only when the positive-weight units run out).

    Inspectors: for each target, `inspectors_per_target` distinct inspectors without a
    declared conflict (pairs of (inspector_id, unit_id)), preferring those with the fewest
    assignments so far and choosing at random among equals, then evening out what greedy
    picks left uneven (no inspector two checks above another who could have taken one).
    Staffing is checked for every unit that could be drawn before anything is drawn, so a
    shortage is reported whatever the seed and cannot be dodged by drawing again with
    another seed.

    `seed=None` draws a fresh seed (returned in `Draw.seed`, to be stored).
    """
    canonical = canonical_inputs(
        units=units,
        inspectors=inspectors,
        conflicts=conflicts,
        rates=load_sampling_rates() if rates is None else rates,
        inspectors_per_target=inspectors_per_target,
        weighted_by_risk=weighted_by_risk,
    )
    return _draw_canonical(canonical, seed=generate_seed() if seed is None else _validated_seed(seed))


def replay(*, stored_inputs: Mapping[str, Any], seed: int) -> Draw:
    """Redo a stored draw from its canonical inputs (see `canonical_inputs`) and seed."""
    algorithm = stored_inputs.get("algorithm")
    if algorithm != ALGORITHM:
        raise DrawInputError(
            field="algorithm", message=f"stored draw used {algorithm!r}, this code implements {ALGORITHM!r}"
        )
    canonical = canonical_inputs(
        units=[
            RegulatedUnit(id=u["id"], unit_class=u["unit_class"], risk_weight=u["risk_weight"])
            for u in stored_inputs["units"]
        ],
        inspectors=stored_inputs["inspectors"],
        conflicts=[tuple(pair) for pair in stored_inputs["conflicts"]],
        rates=stored_inputs["rates"],
        inspectors_per_target=stored_inputs["inspectors_per_target"],
        weighted_by_risk=stored_inputs["weighted_by_risk"],
    )
    return _draw_canonical(canonical, seed=_validated_seed(seed))


def canonical_inputs(
    *,
    units: Iterable[RegulatedUnit],
    inspectors: Iterable[Id],
    conflicts: Iterable[tuple[Id, Id]],
    rates: Mapping[str, float],
    inspectors_per_target: int = MIN_INSPECTORS_PER_TARGET,
    weighted_by_risk: bool = False,
) -> dict[str, Any]:
    """The draw's inputs validated, sorted by id and made JSON-ready: what to store for replay."""
    unit_list = sorted(
        (_validated_unit(u, index=i) for i, u in enumerate(units)), key=lambda u: _id_key(u.id)
    )
    _refuse_duplicates([u.id for u in unit_list], field="units")
    inspector_list = sorted(
        (_validated_id(x, field=f"inspectors[{i}]") for i, x in enumerate(inspectors)), key=_id_key
    )
    _refuse_duplicates(inspector_list, field="inspectors")
    conflict_pairs = sorted(
        {_validated_conflict(pair, index=i) for i, pair in enumerate(conflicts)},
        key=lambda pair: (_id_key(pair[0]), _id_key(pair[1])),
    )
    if isinstance(inspectors_per_target, bool) or not isinstance(inspectors_per_target, int):
        raise DrawInputError(
            field="inspectors_per_target", message=f"must be an integer, got {inspectors_per_target!r}"
        )
    if inspectors_per_target < MIN_INSPECTORS_PER_TARGET:
        raise DrawInputError(
            field="inspectors_per_target",
            message=f"a check needs at least {MIN_INSPECTORS_PER_TARGET} inspectors, "
            f"got {inspectors_per_target}",
        )
    if not isinstance(weighted_by_risk, bool):
        raise DrawInputError(
            field="weighted_by_risk", message=f"must be true or false, got {weighted_by_risk!r}"
        )
    if weighted_by_risk:
        for unit in unit_list:
            if unit.risk_weight is None:
                raise DrawInputError(
                    field="units",
                    message=f"unit {unit.id!r} has no risk_weight; a weighted draw needs one for every unit",
                )
    return {
        "algorithm": ALGORITHM,
        "units": [{"id": u.id, "unit_class": u.unit_class, "risk_weight": u.risk_weight} for u in unit_list],
        "inspectors": inspector_list,
        "conflicts": [list(pair) for pair in conflict_pairs],
        "rates": _validated_rates(rates),
        "inspectors_per_target": inspectors_per_target,
        "weighted_by_risk": weighted_by_risk,
    }


def inputs_digest(
    *,
    units: Iterable[RegulatedUnit],
    inspectors: Iterable[Id],
    conflicts: Iterable[tuple[Id, Id]],
    rates: Mapping[str, float],
    inspectors_per_target: int = MIN_INSPECTORS_PER_TARGET,
    weighted_by_risk: bool = False,
) -> str:
    """SHA-256 (hex) of the canonical JSON of the inputs, so an auditor can check which lists were used."""
    return digest_of_canonical(
        canonical_inputs(
            units=units,
            inspectors=inspectors,
            conflicts=conflicts,
            rates=rates,
            inspectors_per_target=inspectors_per_target,
            weighted_by_risk=weighted_by_risk,
        )
    )


def digest_of_canonical(canonical: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of already-canonical inputs, e.g. as stored with a draw."""
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _draw_canonical(canonical: Mapping[str, Any], *, seed: int) -> Draw:
    units = [
        RegulatedUnit(id=u["id"], unit_class=u["unit_class"], risk_weight=u["risk_weight"])
        for u in canonical["units"]
    ]
    rates: Mapping[str, float] = canonical["rates"]
    required: int = canonical["inspectors_per_target"]
    weighted: bool = canonical["weighted_by_risk"]

    by_class = {cls: [u for u in units if u.unit_class == cls] for cls in UNIT_CLASSES}
    quotas = {cls: _quota(rate=rates[cls], population=len(by_class[cls])) for cls in UNIT_CLASSES}

    eligible = _eligible_inspectors(
        units=[u for u in units if quotas[u.unit_class] > 0],
        inspectors=canonical["inspectors"],
        conflicts=canonical["conflicts"],
        required=required,
    )

    drawn: list[RegulatedUnit] = []
    for cls in UNIT_CLASSES:
        rng = random.Random(_stream_seed(seed, f"units:{cls}"))
        drawn.extend(_sample_units(by_class[cls], count=quotas[cls], rng=rng, weighted=weighted))

    assignments = _assign_inspectors(
        drawn, eligible=eligible, required=required, rng=random.Random(_stream_seed(seed, "inspectors"))
    )
    targets = [
        Target(unit_id=u.id, unit_class=u.unit_class, inspector_ids=sorted(assignments[u.id], key=_id_key))
        for u in sorted(drawn, key=lambda u: (UNIT_CLASSES.index(u.unit_class), _id_key(u.id)))
    ]
    counts = {
        cls: ClassCount(population=len(by_class[cls]), drawn=quotas[cls], rate=rates[cls])
        for cls in UNIT_CLASSES
    }
    return Draw(seed=seed, targets=targets, counts=counts, inputs_digest=digest_of_canonical(canonical))


def _quota(*, rate: float, population: int) -> int:
    # The rate's decimal form is taken exactly: in binary floating point 0.07 * 100 is
    # 7.000000000000001, and ceil would wrongly make that 8.
    return math.ceil(Fraction(repr(rate)) * population)


def _stream_seed(seed: int, stream: str) -> int:
    digest = hashlib.sha256(f"{ALGORITHM}|{stream}|{seed}".encode()).digest()
    return int.from_bytes(digest[:16], "big")


def _uniform(rng: random.Random) -> float:
    """A number in (0, 1]; never 0, so its logarithm exists."""
    return 1.0 - rng.random()


def _sample_units(
    units: Sequence[RegulatedUnit], *, count: int, rng: random.Random, weighted: bool
) -> list[RegulatedUnit]:
    """`count` units without replacement: the `count` largest random keys win.

    Uniform: the key is a uniform number. Weighted (Efraimidis-Spirakis): the key is
    u ** (1 / w), compared as log(u) / w; units of weight 0 rank after every positive weight
    and among themselves by a uniform key. One number is drawn per unit, in id order.
    """
    keys: list[tuple[int, float]] = []
    for unit in units:
        u = _uniform(rng)
        if not weighted:
            keys.append((1, u))
        elif unit.risk_weight:
            keys.append((1, math.log(u) / unit.risk_weight))
        else:
            keys.append((0, u))
    # sorted() stays stable with reverse=True, so equal keys keep id order.
    ranked = sorted(range(len(units)), key=keys.__getitem__, reverse=True)
    return [units[i] for i in ranked[:count]]


def _eligible_inspectors(
    *,
    units: Sequence[RegulatedUnit],
    inspectors: Sequence[Id],
    conflicts: Iterable[Sequence[Id]],
    required: int,
) -> dict[Id, list[Id]]:
    conflicted: dict[Id, set[Id]] = {}
    for inspector_id, unit_id in conflicts:
        conflicted.setdefault(unit_id, set()).add(inspector_id)
    eligible: dict[Id, list[Id]] = {}
    for unit in units:
        excluded = conflicted.get(unit.id)
        eligible[unit.id] = [i for i in inspectors if i not in excluded] if excluded else list(inspectors)
        if len(eligible[unit.id]) < required:
            raise NotEnoughInspectors(unit_id=unit.id, eligible=len(eligible[unit.id]), required=required)
    return eligible


def _assign_inspectors(
    targets: Sequence[RegulatedUnit],
    *,
    eligible: Mapping[Id, Sequence[Id]],
    required: int,
    rng: random.Random,
) -> dict[Id, list[Id]]:
    """Spread the checks evenly: each pick goes to one of the least-loaded eligible inspectors.

    The most constrained targets (fewest eligible inspectors) are staffed first, so that
    conflicts do not leave them with only the busiest inspectors. Greedy picks can still end
    uneven when the last targets conflict with the idle inspectors, so a repair pass then
    hands checks from the busiest to the idlest where conflicts allow.
    """
    order = sorted(
        targets, key=lambda u: (len(eligible[u.id]), UNIT_CLASSES.index(u.unit_class), _id_key(u.id))
    )
    load: Counter[Id] = Counter()
    assignments: dict[Id, list[Id]] = {}
    for unit in order:
        chosen: list[Id] = []
        for _ in range(required):
            candidates = [i for i in eligible[unit.id] if i not in chosen]
            lightest = min(load[i] for i in candidates)
            ties = [i for i in candidates if load[i] == lightest]
            pick = ties[int(rng.random() * len(ties))]
            chosen.append(pick)
            load[pick] += 1
        assignments[unit.id] = chosen
    _rebalance(assignments, order=[u.id for u in order], eligible=eligible, load=load)
    return assignments


def _rebalance(
    assignments: dict[Id, list[Id]],
    *,
    order: Sequence[Id],
    eligible: Mapping[Id, Sequence[Id]],
    load: Counter[Id],
) -> None:
    """Move single checks from an inspector to one with at least two fewer, while possible.

    Each move lowers the sum of squared loads, so this ends. Deterministic: targets in
    staffing order, the idlest eligible inspector first, ties by id order. Works in place.
    """
    moved = True
    while moved:
        moved = False
        for unit_id in order:
            team = assignments[unit_id]
            for slot, busy in enumerate(team):
                idle = [i for i in eligible[unit_id] if i not in team and load[i] <= load[busy] - 2]
                if not idle:
                    continue
                relief = min(idle, key=lambda i: load[i])  # min() keeps the first of equals: id order
                team[slot] = relief
                load[busy] -= 1
                load[relief] += 1
                moved = True


def _id_key(value: Id) -> tuple[int, int | str]:
    # Ints before strings, so a list mixing both still has one total order.
    return (0, value) if isinstance(value, int) else (1, value)


def _validated_id(value: object, *, field: str) -> Id:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DrawInputError(field=field, message=f"an id must be an integer or a string, got {value!r}")
    return value


def _validated_unit(unit: object, *, index: int) -> RegulatedUnit:
    field = f"units[{index}]"
    if not isinstance(unit, RegulatedUnit):
        raise DrawInputError(field=field, message=f"expected a RegulatedUnit, got {unit!r}")
    unit_id = _validated_id(unit.id, field=f"{field}.id")
    if unit.unit_class not in UNIT_CLASSES:
        raise DrawInputError(
            field=f"{field}.unit_class",
            message=f"{unit.unit_class!r} is not one of {', '.join(UNIT_CLASSES)}",
        )
    weight = unit.risk_weight
    if weight is not None:
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or weight < 0
        ):
            raise DrawInputError(
                field=f"{field}.risk_weight", message=f"must be a finite number >= 0, got {weight!r}"
            )
        weight = float(weight)
    return RegulatedUnit(id=unit_id, unit_class=unit.unit_class, risk_weight=weight)


def _validated_conflict(pair: object, *, index: int) -> tuple[Id, Id]:
    field = f"conflicts[{index}]"
    if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
        raise DrawInputError(field=field, message=f"expected an (inspector_id, unit_id) pair, got {pair!r}")
    return (_validated_id(pair[0], field=field), _validated_id(pair[1], field=field))


def _validated_rates(rates: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(rates, Mapping):
        raise InvalidRate(field="rates", message=f"expected a mapping of unit class to rate, got {rates!r}")
    missing = [cls for cls in UNIT_CLASSES if cls not in rates]
    unknown = sorted(str(cls) for cls in rates if cls not in UNIT_CLASSES)
    if missing or unknown:
        raise InvalidRate(
            field="rates",
            message=f"need exactly the classes {', '.join(UNIT_CLASSES)}; "
            f"missing {missing}, unknown {unknown}",
        )
    validated: dict[str, float] = {}
    for cls in UNIT_CLASSES:
        rate = rates[cls]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not (0 <= rate <= 1):
            raise InvalidRate(
                field=f"rates.{cls}", message=f"must be a fraction between 0 and 1, got {rate!r}"
            )
        validated[cls] = float(rate)
    return validated


def _validated_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not (0 <= seed <= MAX_SEED):
        raise DrawInputError(
            field="seed", message=f"must be an integer between 0 and 2**63 - 1, got {seed!r}"
        )
    return seed


def _refuse_duplicates(ids: Sequence[Id], *, field: str) -> None:
    repeated = sorted((i for i, n in Counter(ids).items() if n > 1), key=_id_key)
    if repeated:
        raise DrawInputError(field=field, message=f"ids listed more than once: {repeated!r}")
