"""OGC API Features over the bureau's layers (zones, complaints, cases, sources, hotspot cells), the
complaint tiles' TileJSON, and the same layers as GeoPackage and CSV exports."""
