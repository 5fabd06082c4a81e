"""A bounding box given as ``west,south,east,north`` in WGS-84 degrees (query parameter ``bbox``)."""

from __future__ import annotations

from dataclasses import astuple, dataclass


class BBoxError(ValueError):
    """A box that is not four WGS-84 numbers west<east, south<north; ``field`` names the input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, raw: str | None, *, field: str = "bbox") -> BBox | None:
        if raw is None or raw == "":
            return None
        try:
            west, south, east, north = (float(p) for p in raw.split(","))
        except ValueError:
            raise BBoxError("bbox must be four numbers: west,south,east,north", field=field) from None
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise BBoxError("bbox must be west,south,east,north in WGS-84 degrees, west<east, south<north",
                               field=field)
        return cls(west, south, east, north)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return astuple(self)
