"""An overall deadline for `labctl grade` and `labctl lab test`: when it passes, the instance is taken
down under whatever is waiting on it (a submission's `SELECT pg_sleep(3600)` with no statement timeout),
so the run ends, reports what it has, and cleans up."""
from __future__ import annotations

import threading
import time
from typing import Callable

DEFAULT_GRADE_SECONDS = 900.0
DEFAULT_SELF_TEST_SECONDS = 1200.0


class Deadline:
    """`with Deadline(seconds, on_expiry):` runs on_expiry once, in a watchdog thread, if the block
    outlasts `seconds`. `expired` says whether it did."""

    def __init__(self, seconds: float, on_expiry: Callable[[], None]):
        self.seconds = seconds
        self._on_expiry = on_expiry
        self._done = threading.Event()
        self.expired = False
        self._thread = threading.Thread(target=self._watch, name="labctl-deadline", daemon=True)

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        try:
            self._on_expiry()
        except Exception:  # the expiry only helps the run end: what it cannot remove, cleanup retries
            pass

    def __enter__(self) -> "Deadline":
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()

    @property
    def message(self) -> str:
        return f"stopped at the deadline: it ran for more than {self.seconds:g}s (--timeout)"
