"""What every domain of ecogrid shares: the bureau's clock (``ecogrid.core.time``)."""
