"""Hotspots: complaint aggregates by zone and grid cell, Gi* hot spots, tiles and the heatmap page."""
