"""Reading a file while the database writes what was read before.

An import spends about as long parsing XML in Python as PostgreSQL spends storing the
rows; done one after the other, the machine's second core idles through both. The
reader runs in a thread of its own, some rows ahead; the database work stays in the
caller's thread, inside its transaction. PostgreSQL's work, and waiting for it,
releases the GIL, so the two overlap.
"""

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator

# How far the reader may run ahead, in rows (a story and each of its comments): about
# two of the Importer's batches, so that it keeps reading while a batch is written, and
# no more, so that memory stays flat (a thousand *stories* ahead held 50 stories of
# 2,000 comments each at the start of the scale data: 100 MB more at the peak).
AHEAD = 20_000


def read_ahead(
    items: Iterable, *, rows: Callable[[object], int] = lambda item: 1, ahead: int = AHEAD
) -> Iterator:
    """`items`, produced in a thread of their own, at most `ahead` rows (as `rows(item)`
    counts them) before the caller; an item larger than that alone is handed on when the
    caller has taken everything before it. An exception in the reader (a parse error) is
    raised here, in its place in the sequence; stopping early (an exception here) stops
    the reader at its next item."""
    waiting: deque = deque()
    state = {"rows": 0, "stop": False}
    changed = threading.Condition()

    def hand_on(entry, size: int) -> bool:
        with changed:
            changed.wait_for(lambda: state["stop"] or not waiting or state["rows"] + size <= ahead)
            if state["stop"]:
                return False
            waiting.append((entry, size))
            state["rows"] += size
            changed.notify_all()
            return True

    def read() -> None:
        try:
            for item in items:
                if not hand_on((item, None), rows(item)):
                    return
            hand_on((_DONE, None), 0)
        except BaseException as error:  # handed to the caller, raised there
            hand_on((_DONE, error), 0)

    reader = threading.Thread(target=read, name="import-reader", daemon=True)
    reader.start()
    try:
        while True:
            with changed:
                changed.wait_for(lambda: waiting)
                (item, error), size = waiting.popleft()
                state["rows"] -= size
                changed.notify_all()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        with changed:
            state["stop"] = True
            changed.notify_all()
        reader.join()


_DONE = object()
