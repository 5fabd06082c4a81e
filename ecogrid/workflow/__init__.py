"""Case workflow rules as plain code: the state machine, deadlines and colour marks.

- ``states``: statuses, actions, who may take them, and what each action changes.
- ``deadlines``: time limits from ``data/time_limits.json``, counted in calendar days or in
  Chinese working days (public holidays and make-up working days).
- ``colours``: progress (挂图督办) and satisfaction colour marks.

Nothing here touches the database; the service layer persists cases and calls these functions.
Import the module, not the names: ``from ecogrid.workflow import states as case_states``.
"""
