"""The process's Prometheus metrics: defined once here, incremented where the thing happens.

Counters and histograms live in prometheus-client's default registry. With
``PROMETHEUS_MULTIPROC_DIR`` set (several uvicorn/gunicorn workers), prometheus-client keeps each
worker's values in files in that folder and the scrape adds them up (see ``api/metrics.py``); the
folder must be emptied when the service starts, as prometheus-client's documentation says.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

# Route templates (``/api/v1/cases/{case_id}``), never raw paths: one series per route, not per id.
REQUESTS = Counter("ecogrid_http_requests_total", "HTTP requests answered, by method, route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("ecogrid_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
PHOTO_STORE_ERRORS = Counter("ecogrid_photo_store_errors_total",
                             "Photo store operations that failed (not a missing object), by backend and operation.",
                             ["backend", "operation"])
# livesum: in multi-worker mode the workers' pools add up, and a worker that exits stops counting.
POOL_CHECKED_OUT = Gauge("ecogrid_db_pool_connections_in_use", "Database connections checked out of the pool.",
                         multiprocess_mode="livesum")
POOL_SIZE = Gauge("ecogrid_db_pool_size", "Connections the pool keeps open (beyond them, overflow up to the limit).",
                  multiprocess_mode="livesum")


def fresh_metrics_dir(path: Path) -> Path:
    """An empty folder for PROMETHEUS_MULTIPROC_DIR: values left by an earlier run would be added to this one's."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
