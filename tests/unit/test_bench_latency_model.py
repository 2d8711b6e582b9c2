"""The latency benchmark's model of the Event Hubs trigger (bench.latency.offer), on a clock the test moves: events
accumulate while a batch runs, a batch starts as soon as the function is free and one event waits, at most 100."""

from __future__ import annotations

import pytest

from bench.latency import offer


class Timeline:
    """A clock, a sleep that moves it, and a function whose batch costs `fixed + per_event × size` seconds."""

    def __init__(self, fixed: float, per_event: float = 0.0) -> None:
        self.now, self.fixed, self.per_event = 0.0, fixed, per_event
        self.written: list[tuple[int, int]] = []
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def write(self, lo: int, hi: int) -> int:
        self.written.append((lo, hi))
        self.now += self.fixed + self.per_event * (hi - lo)
        return hi - lo


def test_at_a_low_rate_each_event_is_a_batch_of_its_own_and_waits_for_nothing() -> None:
    line = Timeline(fixed=0.05)
    latencies, sizes = offer(line.write, 0, 5, 10.0, line.clock, line.sleep)
    assert sizes == [1] * 5 and line.written == [(i, i + 1) for i in range(5)]
    assert latencies == pytest.approx([0.05] * 5)
    assert line.slept == pytest.approx([0.05] * 4)  # idle between a batch's return and the next enqueue


def test_events_enqueued_while_a_batch_runs_form_the_next_batch_and_count_their_wait() -> None:
    line = Timeline(fixed=0.0375)  # events every 10 ms
    latencies, sizes = offer(line.write, 40, 8, 100.0, line.clock, line.sleep)
    # batch 1: event 0 at 0 ms, done at 37.5; batch 2: events 1-3 (10, 20, 30 ms), done at 75;
    # batch 3: events 4-7 (40 .. 70 ms), done at 112.5
    assert sizes == [1, 3, 4] and line.written == [(40, 41), (41, 44), (44, 48)]
    assert latencies == pytest.approx([0.0375, 0.065, 0.055, 0.045, 0.0725, 0.0625, 0.0525, 0.0425])
    assert line.slept == []


def test_a_backlog_is_taken_100_at_a_time_and_the_producer_does_not_slow_down() -> None:
    line = Timeline(fixed=0.0, per_event=0.01)  # 100 events/s of capacity against 1000 offered
    latencies, sizes = offer(line.write, 0, 400, 1000.0, line.clock, line.sleep)
    assert sizes[0] == 1 and max(sizes) == 100 and sum(sizes) == 400
    assert latencies[-1] > 3.0  # open loop: the last event was enqueued at 0.399 s and waited for the backlog


def test_an_infinite_rate_is_back_to_back_full_batches() -> None:
    line = Timeline(fixed=0.1)
    _, sizes = offer(line.write, 0, 250, float("inf"), line.clock, line.sleep)
    assert sizes == [100, 100, 50] and line.slept == []


def test_a_batch_not_wholly_accepted_stops_the_run() -> None:
    line = Timeline(fixed=0.0)
    with pytest.raises(SystemExit, match="1 accepted"):
        offer(lambda lo, hi: 1, 0, 300, float("inf"), line.clock, line.sleep)
