"""Jurisdiction grid zones: import, the zone tree, which zone owns a point, and the zones' extent."""
