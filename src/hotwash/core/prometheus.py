"""Prometheus' multiprocess mode, for `hotwash serve` with several workers.

Request counts and latencies are kept in the memory of the process that
served the request. With several server processes, a scrape reaches one of
them, so each process writes its metrics to files in one directory instead
(prometheus-client's PROMETHEUS_MULTIPROC_DIR mechanism) and /metrics adds
them up (`hotwash.operations.metrics`). `prepare_metrics` sets that up in
`hotwash serve` before it starts the workers; the workers inherit it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings
from prometheus_client import values

# prometheus-client's own variable: each process that finds it writes its
# metrics there. Set by `prepare_metrics` (or by whoever runs Hotwash under
# another multi-process server).
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics(workers: int) -> Path | None:
    """With more than one worker process, empty the metrics directory (files
    left by an earlier run would add old counts to the new ones) and switch
    this process and the workers it starts to multiprocess mode; return the
    directory. With one worker, nothing to do: its memory is the truth."""
    if workers <= 1:
        return None
    directory = Path(settings.METRICS_MULTIPROCESS_DIR)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROCESS_ENV] = str(directory)
    # prometheus-client picks where metric values live when it is first
    # imported, which happened already here (the URL checks import the
    # metrics); metrics with labels create their values on first use, in the
    # worker processes, so choosing again now is enough.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return directory


def multiprocess_dir() -> Path | None:
    """The directory of multiprocess mode, when this process is in it."""
    path = os.environ.get(MULTIPROCESS_ENV)
    return Path(path) if path else None
