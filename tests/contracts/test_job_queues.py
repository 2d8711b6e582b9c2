"""The JobQueues contract: operations peek at what waits in a queue, never taking it, with the bodies as the
functions read them. Every adapter passes the same tests."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime

import pytest

from function_app.adapters.delivery.memory import MemoryJobQueues
from function_app.service_layer.delivery.ports import JobQueues, QueuedJob
from tests.contracts import on_azurite

JOB = '{"partner": "acme-oem", "feed": "daily-csv", "business_date": "2026-03-02"}'


class JobQueuesContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> JobQueues: ...

    @abstractmethod
    def enqueue(self, queues: JobQueues, queue: str, body: str) -> None:
        """A message as the host writes it for an output binding."""

    @pytest.fixture
    def queues(self, request: pytest.FixtureRequest) -> JobQueues:
        return self.make(request)

    @pytest.fixture
    def queue(self) -> str:
        return f"jobs-{uuid.uuid4().hex[:12]}"  # queues are not namespaced: each test its own

    def test_a_queue_that_does_not_exist_has_nothing_waiting(self, queues: JobQueues, queue: str) -> None:
        assert list(queues.peek(queue)) == []

    def test_messages_are_peeked_in_order_with_their_bodies_decoded(self, queues: JobQueues, queue: str) -> None:
        bodies = [JOB, JOB.replace("2026-03-02", "2026-03-03"), "plain text · not JSON"]
        for body in bodies:
            self.enqueue(queues, queue, body)
        peeked = list(queues.peek(queue))
        assert [job.body for job in peeked] == bodies
        assert all(job.queue == queue and job.dequeue_count == 0 and job.message_id for job in peeked)
        assert len({job.message_id for job in peeked}) == len(bodies)

    def test_peeking_takes_nothing(self, queues: JobQueues, queue: str) -> None:
        self.enqueue(queues, queue, JOB)
        first, again = list(queues.peek(queue)), list(queues.peek(queue))
        assert [j.message_id for j in first] == [j.message_id for j in again] and again[0].dequeue_count == 0

    def test_at_most_32_messages_and_no_more_than_asked(self, queues: JobQueues, queue: str) -> None:
        for n in range(34):
            self.enqueue(queues, queue, f"job {n}")
        assert [j.body for j in queues.peek(queue, limit=3)] == ["job 0", "job 1", "job 2"]
        assert len(list(queues.peek(queue, limit=100))) == 32


class TestJobQueuesInMemory(JobQueuesContract):
    def make(self, request: pytest.FixtureRequest) -> JobQueues:
        return MemoryJobQueues()

    def enqueue(self, queues: JobQueues, queue: str, body: str) -> None:
        assert isinstance(queues, MemoryJobQueues)
        waiting = queues.queues.setdefault(queue, [])
        waiting.append(QueuedJob(queue, f"m{len(waiting)}", datetime.now(UTC), 0, body))


class TestJobQueuesOnAzurite(JobQueuesContract):
    def make(self, request: pytest.FixtureRequest) -> JobQueues:
        self.settings = on_azurite.namespace(request)
        return on_azurite.job_queues(self.settings)

    def enqueue(self, queues: JobQueues, queue: str, body: str) -> None:
        on_azurite.enqueue(self.settings, queue, body)
