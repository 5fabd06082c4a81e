"""Cases as the bureau handles and counts them.

- ``states``: statuses, actions, who may take them, and what each action changes (pure).
- ``deadlines``: time limits (``data/time_limits.json``) in calendar or Chinese working days (pure).
- ``colours``: progress (挂图督办) and satisfaction colour marks (pure).
- ``rules``: the definitions every figure uses: open and finished, overdue, on time, satisfied, repeat.
- ``service``: the only writer of ``cases.status``, always under the row lock.
- ``figures`` and ``reports``: the counts by those rules; ``views``/``report_views``: the API.
"""
