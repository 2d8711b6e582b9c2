"""Timers: held cancellations whose contract never came are answered CONTRACT_NOT_FOUND."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import azure.functions as func

from function_app.entrypoints import retries
from function_app.entrypoints.realtime import CONNECTION, FEEDBACK_HUB

HOLD_EXPIRY_SCHEDULE = "0 */15 * * * *"  # UTC; a held request waits at most 15 minutes past its 72 hours

blueprint = func.Blueprint()  # type: ignore[no-untyped-call]


@blueprint.function_name("expire_held_cancellations")
@retries.schedule(blueprint)
@blueprint.timer_trigger(arg_name="timer", schedule=HOLD_EXPIRY_SCHEDULE, use_monitor=True)
@blueprint.event_hub_output(arg_name="feedback", event_hub_name=FEEDBACK_HUB, connection=CONNECTION)
def expire_held_cancellations(timer: func.TimerRequest, feedback: func.Out[typing.List[str]]) -> None:
    from function_app import telemetry
    from function_app.bootstrap import exchange
    from function_app.domain.feedback import encode_feedback

    with telemetry.invocation("expire_held_cancellations", telemetry.TIMER, **{"fni.past_due": timer.past_due}):
        report = exchange().holds.run(datetime.now(UTC))
        feedback.set([encode_feedback(fb) for fb in report.feedback])
