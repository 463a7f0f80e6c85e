"""moderation.stack: a call run from a stack chunk of its own answers as it would have."""

import pytest

from moderation.stack import in_fresh_chunk


def test_a_call_in_a_fresh_chunk_returns_its_answer():
    assert in_fresh_chunk(lambda: sum(range(10))) == 45


def test_a_call_in_a_fresh_chunk_raises_its_errors():
    def fails():
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        in_fresh_chunk(fails)


def test_calls_in_fresh_chunks_nest_and_recurse():
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + in_fresh_chunk(lambda: depth(n - 1))

    assert depth(50) == 50
