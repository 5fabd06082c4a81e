"""Online monitoring (在线监测): fixed monitors, HJ 212-2017 data, alarms that can become cases.

- ``stations``: the registry of monitors (air quality, a plant's stack / outfall / boundary, noise, weather).
- ``hj212``: the packet format, pure; ``listener``: the TCP server ``ecogrid monitors listen``.
- ``storage``: readings partitioned by month; ``imports``: readings and wind from CSV or JSON.
- ``alarms``: exceedances of the limits ecogrid knows, and the case an alarm becomes.
- ``evidence``: readings around a case's complaints and beside a suspect; ``correlation``: complaints
  per day near a source against its monitor, before and after a rectification.
"""
