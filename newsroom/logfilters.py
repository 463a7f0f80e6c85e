"""Logging filters for the project's LOGGING setting."""

import logging
import time


class AtMostEvery(logging.Filter):
    """Lets one record through every `seconds`, as a warning without its traceback.

    For errors that repeat on every request while a dependency is down (django-redis
    logs each cache error it ignores, with a traceback): one line says it is down.
    """

    def __init__(self, seconds: float = 30):
        super().__init__()
        self.seconds = seconds
        self.last = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self.last < self.seconds:
            return False
        self.last = now
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True
