"""Reading a file while the database writes what was read before.

An import spends about as long parsing XML in Python as PostgreSQL spends storing the
rows; done one after the other, the machine's second core idles through both. The
reader runs in a thread of its own, a few records ahead; the database work stays in
the caller's thread, inside its transaction. PostgreSQL's work, and waiting for it,
releases the GIL, so the two overlap.
"""

import queue
import threading
from collections.abc import Iterable, Iterator

_DONE = object()
# How far the reader may run ahead: enough to keep it busy through one of the
# Importer's batches, few enough that memory stays flat.
AHEAD = 1000


def read_ahead(items: Iterable, *, ahead: int = AHEAD) -> Iterator:
    """`items`, produced in a thread of their own. An exception in the reader (a parse
    error) is raised here, in its place in the sequence; stopping early (an exception
    here) stops the reader at its next item."""
    waiting: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                waiting.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_DONE, None))
        except BaseException as error:  # handed to the caller, raised there
            put((_DONE, error))

    reader = threading.Thread(target=read, name="import-reader", daemon=True)
    reader.start()
    try:
        while True:
            item, error = waiting.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        reader.join()
