"""imports.pipeline.read_ahead: the reader's thread hands items on in order, within its
row budget, raises its errors in their place, and stops when the caller does."""

import threading

import pytest

from imports.pipeline import read_ahead


def test_items_come_in_order_and_an_item_larger_than_the_budget_still_passes():
    sizes = [1, 5, 50, 2, 3]
    assert list(read_ahead(sizes, rows=lambda size: size, ahead=10)) == sizes


def test_the_reader_never_runs_more_rows_ahead_than_allowed():
    produced = []

    def items():
        for number in range(100):
            produced.append(number)
            yield number

    taken = read_ahead(items(), rows=lambda number: 3, ahead=10)
    assert next(taken) == 0
    threading.Event().wait(0.2)  # time for the reader to fill its budget
    # At most three items of three rows wait beyond the one taken (and one being read).
    assert len(produced) <= 5
    assert list(taken) == list(range(1, 100))


def test_a_readers_error_is_raised_in_its_place():
    def items():
        yield "first"
        raise ValueError("line 3, column 4")

    taken = read_ahead(items())
    assert next(taken) == "first"
    with pytest.raises(ValueError, match="line 3"):
        next(taken)


def test_stopping_early_stops_the_reader():
    def endless():
        number = 0
        while True:
            number += 1
            yield number

    before = threading.active_count()
    taken = read_ahead(endless(), ahead=5)
    assert next(taken) == 1
    taken.close()
    assert threading.active_count() == before
