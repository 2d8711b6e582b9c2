"""One delivered file checked on its own: its records against the facts its journal ranges give it, and its
manifest against the file; a file removed delivers none of its records, a file unreadable is one break."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from function_app.domain.delivery.parsing import Row
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.reconciliation.disclosure import unreadable
from function_app.domain.reconciliation.feed_scope import FeedScope
from function_app.domain.reconciliation.journal_facts import named
from function_app.domain.reconciliation.manifests import Manifest, manifest_breaks
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.domain.reconciliation.record_matching import match


@dataclass(frozen=True)
class DeliveredFileView:
    """One delivered file as reconciliation finds it: its bytes and its manifest now (None: the blob is gone),
    and the facts its journal ranges give it. `expected_facts` are those of the business date reconciled;
    `other_facts` those of other dates (a file also carries late facts of earlier dates), which belong in the
    file too but are reconciled on their own date."""

    name: str
    data: bytes | None
    manifest: Manifest | None
    expected_facts: Sequence[JournalFact]
    other_facts: Sequence[JournalFact] = ()


@dataclass(frozen=True)
class FileCheck:
    view: DeliveredFileView
    expected: list[tuple[JournalFact, Row]]
    breaks: list[Break]
    rows: list[Row] = field(default_factory=list)  # what the file holds for the business date
    aside: list[Row] = field(default_factory=list)  # what it holds for other dates
    found: list[JournalFact] = field(default_factory=list)  # the date's facts whose record it holds
    extras: list[tuple[int, Row]] = field(default_factory=list)  # (record number, row)


def check_file(ctx: FeedScope, view: DeliveredFileView) -> FileCheck:
    expected = list(zip(view.expected_facts, ctx.expected_rows(view.expected_facts), strict=True))
    others = ctx.expected_rows(view.other_facts)
    if view.data is None:
        return FileCheck(view, expected, _absent(ctx, view.name, expected, "was removed"), aside=others)
    try:
        actual = ctx.read(view.data)
    except ValueError as error:
        manifest = manifest_breaks(ctx, view.name, view.manifest, view.data, None)
        unread = _unreadable(ctx, view.name, view.data, len(expected), error)
        return FileCheck(view, expected, [*manifest, unread], aside=others)
    matched = match(ctx, expected, others, actual)
    aside = set(matched.set_aside)
    return FileCheck(
        view,
        expected,
        [*manifest_breaks(ctx, view.name, view.manifest, view.data, actual),
         *matched.breaks(ctx, view.name, actual)],
        rows=[row for index, row in enumerate(actual) if index not in aside],
        aside=[actual[index] for index in matched.set_aside],
        found=[*matched.found, *(fact for fact, _, _ in matched.altered)],
        extras=[(index + 1, actual[index]) for index in matched.extras],
    )


def _unreadable(ctx: FeedScope, name: str, data: bytes, expected: int, error: ValueError) -> Break:
    """One break for the file, keyed by its name: none of its records can be counted, but none is missing."""
    detail = (f"{name} cannot be read as {ctx.feed.format}: {unreadable(error, data)}; "
              f"none of its records is counted ({expected} of them are facts of the date)")
    return ctx.broken(BreakKind.UNREADABLE_FILE, name, None, detail)


def _absent(ctx: FeedScope, name: str, expected: list[tuple[JournalFact, Row]], what: str) -> list[Break]:
    """Every record the file should hold is missing; a file that should hold none is missing itself."""
    if not expected:
        return [ctx.broken(BreakKind.MISSING, name, None, f"{name} {what}; it held no record of the date")]
    return [
        ctx.broken(BreakKind.MISSING, fact.contract_number, fact.contract_number,
                   f"{named(fact)} is not delivered: its file {name} {what}")
        for fact, _ in expected
    ]
