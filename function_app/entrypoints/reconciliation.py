"""Reconciliation: every morning, yesterday's journal sealed, then checked against its seal, the partner files and
the source of record, with a JSON and an HTML report in container `reports`."""

from __future__ import annotations

import logging

import azure.functions as func

from function_app.entrypoints import retries

RECONCILE_SCHEDULE = "%RECONCILE_SCHEDULE%"  # after the nightly files: UTC, like the delivery timers

blueprint = func.Blueprint()  # type: ignore[no-untyped-call]


@blueprint.function_name("reconcile_nightly")
@retries.schedule(blueprint)
@blueprint.timer_trigger(arg_name="timer", schedule=RECONCILE_SCHEDULE, use_monitor=True)
def reconcile_nightly(timer: func.TimerRequest) -> None:
    """Yesterday sealed, then reconciled, as JSON and HTML in the `reports` container; breaks also go out as a metric.
    A seal the journal contradicts does not stop the run: the reconciliation names each fact it contradicts."""
    from datetime import timedelta

    from function_app import telemetry
    from function_app.adapters.reconciliation.page import render_html
    from function_app.adapters.reconciliation.report import render_json
    from function_app.bootstrap import exchange
    from function_app.service_layer.reconciliation.sealing import seal_if_settled

    with telemetry.invocation("reconcile_nightly", telemetry.TIMER, **{"fni.past_due": timer.past_due}):
        current = exchange()
        day = (current.clock().astimezone(current.settings.zone) - timedelta(days=1)).date()
        settings = current.settings
        sealed = seal_if_settled(current.sealer, day, settings.zone, settings.clock_skew, current.clock(),
                                 current.storage.in_flight)
        logging.info("journal %s: %s", day, sealed.outcome.value if sealed else "not settled, not sealed")
        report = current.reconciliation.run(day)
        base = f"reconciliation/{day:%Y/%m}/{day.isoformat()}"
        current.reports.write(base + ".json", render_json(report).encode("utf-8"), "application/json")
        current.reports.write(base + ".html", render_html(report).encode("utf-8"), "text/html; charset=utf-8")
        logging.info("reconciliation %s: %d break(s), %d resolved", day, len(report.breaks), len(report.resolved))
