"""Complaints: intake from every channel, bulk import with mapping files, Open311 GeoReport v2, queries."""
