"""The real-time path's own port: where its answers go."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from function_app.domain.kernel.feedback import Feedback


class FeedbackSender(Protocol):
    """Sends feedback to `dealer-feedback`, each under its own partition key (EVENTS.md "Feedback"), keeping
    the order of the feedback of one key. Returns once the hub took every one; raises otherwise, so that the
    invocation fails and its input is redelivered (and answered again with the same feedback ids)."""

    def send(self, feedback: Sequence[Feedback]) -> None: ...
