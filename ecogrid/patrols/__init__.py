"""Patrols: risk-ranked targets, double-random draws and routes for the day."""
