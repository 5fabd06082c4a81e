"""The official calendar: each year's schedule of public holidays and make-up working days (调休上班)
as the State Council publishes it, loaded by an admin; the deadlines count working days by it.

- ``schemas``: the file format (also the API body) and the answers.
- ``service``: check a year's schedule, replace a year whole, read it, and the per-process cache
  the deadlines use (``current``, ``invalidate``).
- ``flows``: loading a year (replace it, then recount the open cases' deadlines that run through it).
- ``views`` (``/api/v1/admin/calendar/{year}``) and ``cli`` (``ecogrid calendar load|show``).
"""
