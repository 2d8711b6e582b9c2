"""Retry policies, set on each function: for Event Hub and timer triggers Azure applies only a function's own
policy (Microsoft Learn, "Azure Functions error handling and retries": retries are supported per function for
Timer, Event Hubs, Kafka and Cosmos DB triggers, and set in Python with the `retry` decorator). Queue triggers
retry through `maxDequeueCount` (host.json) and Event Grid through its own delivery retries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.functions as func


def event_stream(blueprint: func.Blueprint) -> Callable[..., Any]:
    """A batch that fails (storage is down) is retried until it succeeds: checkpointing past it would lose
    events, and idempotency makes every retry safe. The host holds the partition meanwhile."""
    return blueprint.retry(strategy="exponential_backoff", max_retry_count="-1",
                           minimum_interval="00:00:05", maximum_interval="00:05:00")


def schedule(blueprint: func.Blueprint) -> Callable[..., Any]:
    """A timer that fails is tried three more times a minute apart, then waits for its next occurrence: the
    schedules recur (micro batches every few minutes, held cancellations every 15) and nightly jobs can be
    re-run by hand."""
    return blueprint.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:01:00")
