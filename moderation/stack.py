"""A workaround for CPython's data stack (3.11 to 3.14 before gh-142183's fix): frames
live in 16 KiB chunks, and a call that crosses into a new chunk maps one, which is
unmapped again when that call returns. A loop that keeps calling across the boundary
(a template rendering cards, deep in a request) maps and unmaps a chunk per call: the
queue page did so ~1,500 times a request, a fifth of its time. Where the boundary falls
depends on how deep the server calls the view, so it comes and goes with any change.

`in_fresh_chunk(call)` runs `call` from the start of a chunk of its own: its frames
stay in that chunk, which lives as long as the call, so its loops cross no boundary
(the queue page's rendering takes about 10 KiB of the 16)."""

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# A chunk's worth of frame slots (8 bytes each), less its header and the frame's own.
_CHUNK_SLOTS = 16 * 1024 // 8 - 32


def _call(call):
    return call()


# A frame as big as a chunk: it never fits in what is left of the current one, so it
# takes a new chunk, and the first frames of `call` the next (a frame's size is its
# code's locals plus its evaluation stack, set here).
_call.__code__ = _call.__code__.replace(co_stacksize=_CHUNK_SLOTS)


def in_fresh_chunk(call: Callable[[], T]) -> T:
    return _call(call)
