"""Feedback kept in memory, for tests and the CLI's in-memory runs: what was sent, under which key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from function_app.domain.kernel.feedback import Feedback


@dataclass
class SentFeedback:
    sent: list[Feedback] = field(default_factory=list)

    def send(self, feedback: Sequence[Feedback]) -> None:
        self.sent.extend(feedback)

    def keys(self) -> list[str | None]:
        return [fb.partition_key for fb in self.sent]
