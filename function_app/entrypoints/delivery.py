"""Partner delivery: timers enqueue one job per due partner feed; a queue-triggered function builds each file."""

from __future__ import annotations

import json
import logging
import typing
from datetime import UTC, datetime

import azure.functions as func

from function_app.domain.delivery.statuses import AckOutcome
from function_app.domain.kernel.feed_mode import FeedMode
from function_app.entrypoints import retries

STORAGE = "AzureWebJobsStorage"
JOBS_QUEUE = "delivery-jobs"  # the host moves a message that keeps failing to `delivery-jobs-poison`
NIGHTLY_SCHEDULE = "%PARTNER_NIGHTLY_SCHEDULE%"  # UTC: Linux plans ignore WEBSITE_TIME_ZONE
MICRO_SCHEDULE = "%PARTNER_MICRO_SCHEDULE%"

blueprint = func.Blueprint()  # type: ignore[no-untyped-call]


def due_jobs(mode: FeedMode) -> list[str]:
    from function_app.bootstrap import exchange

    jobs = exchange().delivery.due(mode, datetime.now(UTC))
    logging.info("enqueueing %d %s partner feed job(s)", len(jobs), mode)
    return [json.dumps(job.to_json(), sort_keys=True) for job in jobs]


@blueprint.function_name("schedule_nightly_files")
@retries.schedule(blueprint)
@blueprint.timer_trigger(arg_name="timer", schedule=NIGHTLY_SCHEDULE, use_monitor=True)
@blueprint.queue_output(arg_name="jobs", queue_name=JOBS_QUEUE, connection=STORAGE)
def schedule_nightly_files(timer: func.TimerRequest, jobs: func.Out[typing.List[str]]) -> None:
    from function_app import telemetry

    with telemetry.invocation("schedule_nightly_files", telemetry.TIMER, **{"fni.past_due": timer.past_due}):
        jobs.set(due_jobs(FeedMode.DAILY))


@blueprint.function_name("schedule_micro_batches")
@retries.schedule(blueprint)
@blueprint.timer_trigger(arg_name="timer", schedule=MICRO_SCHEDULE, use_monitor=True)
@blueprint.queue_output(arg_name="jobs", queue_name=JOBS_QUEUE, connection=STORAGE)
def schedule_micro_batches(timer: func.TimerRequest, jobs: func.Out[typing.List[str]]) -> None:
    from function_app import telemetry

    with telemetry.invocation("schedule_micro_batches", telemetry.TIMER, **{"fni.past_due": timer.past_due}):
        jobs.set(due_jobs(FeedMode.MICRO))


@blueprint.function_name("record_acknowledgements")
@retries.schedule(blueprint)
@blueprint.timer_trigger(arg_name="timer", schedule=MICRO_SCHEDULE, use_monitor=True)
def record_acknowledgements(timer: func.TimerRequest) -> None:
    from function_app import telemetry
    from function_app.bootstrap import exchange

    with telemetry.invocation("record_acknowledgements", telemetry.TIMER, **{"fni.past_due": timer.past_due}):
        for result in exchange().acknowledgements.run():
            if result.changed or result.status is AckOutcome.UNKNOWN_FILE:
                logging.info("ack %s/%s: %s %s", result.partner, result.ack_name, result.status, result.note)


@blueprint.function_name("deliver_partner_file")
@blueprint.queue_trigger(arg_name="message", queue_name=JOBS_QUEUE, connection=STORAGE)
def deliver_partner_file(message: func.QueueMessage) -> None:
    from function_app import telemetry
    from function_app.bootstrap import exchange
    from function_app.service_layer.delivery.jobs import DeliveryJob

    with telemetry.invocation("deliver_partner_file", telemetry.PUBSUB, **{
            "messaging.message.id": message.id, "messaging.destination.name": JOBS_QUEUE,
            "fni.dequeue_count": message.dequeue_count}):
        job = DeliveryJob.from_json(message.get_json())
        result = exchange().delivery.deliver(job)
        for file in result.files:
            logging.info("delivered %s (%d records, %d bytes)", file.blob_name, file.record_count, file.bytes)
        if result.note:
            logging.info("%s/%s %s: %s", job.partner, job.feed, job.business_date, result.note)

