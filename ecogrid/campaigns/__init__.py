"""Special campaigns (专项行动): VOCs, water-related enterprises, odour, noise during the gaokao, waste.

A campaign has a name, a period of Beijing days (both inclusive), the complaint categories it is about,
the zones it covers (each with everything nested in it) and its target units (pollution sources). A chief
links cases to it; an inspection may name it (``inspections.campaign_id``).

- ``rules``: what a campaign may be and which case may join it; pure, nothing here touches a database.
- ``service``: create, change, read, link and unlink cases, and the progress report. The case figures
  are those of the bulletin (``ecogrid.cases.figures.city``) restricted to the campaign's cases.
- ``views`` (``/api/v1/campaigns``) and ``pages`` (the staff console's ``/campaigns``).
"""
