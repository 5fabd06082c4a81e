"""Inspections on site: findings, photos as evidence (``photos``) and monitoring readings (``readings``)."""
