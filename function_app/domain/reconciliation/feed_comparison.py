"""Reconciliation of one partner feed on one business date (spec/PARTNER-FILES.md, "Control totals agree"): the
journal against the delivered files and their manifests.

Both sides are in one representation: the rows the journal's facts should give are written by the real writer and
read back by `parse_rows`, exactly as a delivered file is read. Each difference is a Break, classified and named
(the contract, or the file), so that an operator can act on it, and stable across runs, so that a break a later
run no longer finds is resolved.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from function_app.domain.delivery.parsing import Row
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.partners import Feed
from function_app.domain.reconciliation.delivered_files import DeliveredFileView, FileCheck, check_file
from function_app.domain.reconciliation.disclosure import shown
from function_app.domain.reconciliation.feed_scope import FeedScope
from function_app.domain.reconciliation.journal_facts import decided_at, named
from function_app.domain.reconciliation.manifests import manifests_side
from function_app.domain.reconciliation.model import Break, BreakKind, FeedReconciliation, Side


def compare_feed(
    *,
    partner: str,
    feed: Feed,
    business_date: date,
    facts: Sequence[JournalFact],
    undelivered: Sequence[JournalFact],
    files: Sequence[DeliveredFileView],
    now: datetime,
    late_after: timedelta,
    late_why: str = "",
) -> FeedReconciliation:
    """`facts`: the date's facts the feed subscribes to that delivered files cover, in position order;
    `undelivered`: those no file covers yet; `files`: every file holding facts of the date (or named for it)."""
    ctx = FeedScope(f"{partner}/{feed.name}", business_date, feed)
    checks = [check_file(ctx, view) for view in files]
    breaks = [
        *(b for check in checks for b in check.breaks),
        *_extra_records(ctx, checks),
        *_in_two_files(ctx, checks),
        *_uncovered(ctx, facts, checks),
        *_late(ctx, undelivered, now, late_after, late_why),
    ]
    journal_rows = ctx.expected_rows([*facts, *undelivered])
    files_rows = [row for check in checks for row in check.rows]
    return FeedReconciliation(
        partner=partner,
        feed=feed.name,
        journal=Side(len(journal_rows), ctx.totals(journal_rows)),
        files=Side(len(files_rows), ctx.totals(files_rows)),
        manifests=manifests_side(ctx, [(check.view.manifest, check.aside) for check in checks]),
        file_names=tuple(view.name for view in files),
        breaks=tuple(dict.fromkeys(breaks)),
    )


def _extra_records(ctx: FeedScope, checks: Sequence[FileCheck]) -> Iterator[Break]:
    """A record no fact of its file accounts for: another copy of a record of the date (DUPLICATE), or a record
    no fact the files cover gives (AMOUNT_MISMATCH): forged, or another date's that `other_facts` does not list."""
    homes: dict[Row, tuple[JournalFact, str]] = {}
    for check in checks:
        for fact, row in check.expected:
            homes.setdefault(row, (fact, check.view.name))
    for check in checks:
        name = check.view.name
        for number, row in check.extras:
            if row in homes:
                fact, home = homes[row]
                where = "it already holds" if home == name else f"is delivered in {home}"
                detail = f"{name} record {number} repeats {named(fact)}, which {where}"
                yield ctx.broken(BreakKind.DUPLICATE, fact.contract_number, fact.contract_number, detail)
            else:
                contract = ctx.contract_in(row)
                detail = (f"{name} record {number} matches no fact of {ctx.business_date} the file's ranges cover: "
                          f"{shown(ctx.fields, row)}")  # never a personal value: reports outlive the file
                yield ctx.broken(BreakKind.AMOUNT_MISMATCH, contract or f"{name}#{number}", contract, detail)


def _in_two_files(ctx: FeedScope, checks: Sequence[FileCheck]) -> Iterator[Break]:
    files: dict[str, list[str]] = {}
    facts: dict[str, JournalFact] = {}
    for check in checks:
        for fact in check.found:
            files.setdefault(fact.position, []).append(check.view.name)
            facts[fact.position] = fact
    for position, names in files.items():
        if len(names) > 1:
            fact = facts[position]
            detail = f"{named(fact)} is delivered in {len(names)} files: {', '.join(names)}"
            yield ctx.broken(BreakKind.DUPLICATE, fact.contract_number, fact.contract_number, detail)


def _uncovered(ctx: FeedScope, facts: Sequence[JournalFact], checks: Sequence[FileCheck]) -> Iterator[Break]:
    """Facts delivery has passed over (covered by the feed's watermark) that no delivered file's ranges hold."""
    covered = {fact.position for check in checks for fact, _ in check.expected}
    for fact in facts:
        if fact.position not in covered:
            detail = f"{named(fact)} is behind the feed's watermark, but no delivered file covers it"
            yield ctx.broken(BreakKind.MISSING, fact.contract_number, fact.contract_number, detail)


def _late(
    ctx: FeedScope, undelivered: Sequence[JournalFact], now: datetime, late_after: timedelta, why: str
) -> Iterator[Break]:
    for fact in undelivered:
        waited = now - decided_at(fact)
        if waited > late_after:
            detail = f"{named(fact)} is not delivered {waited} after it was decided; the limit is {late_after}"
            detail += f" ({why})" if why else ""
            yield ctx.broken(BreakKind.LATE, fact.contract_number, fact.contract_number, detail)
