"""Reconciliation (spec/PARTNER-FILES.md, "Control totals agree"): per business date and partner feed, the
journal against the delivered files and their manifests; and the exchange's view against the source of record.

Both sides of a file comparison are in one representation: the rows the journal's facts should give are written
by the real writer and read back by `parse_rows`, exactly as a delivered file is read. Each difference is a Break,
classified and named (the contract, or the file), so that an operator can act on it, and stable across runs, so
that a break a later run no longer finds is resolved.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from function_app.domain.delivery.fields import FIELDS, FieldKind
from function_app.domain.delivery.formats import cents, writer_for
from function_app.domain.delivery.parsing import Row, file_totals, parse_rows
from function_app.domain.delivery.records import PiiLevel, record
from function_app.domain.kernel.catalogue import Catalogue
from function_app.domain.kernel.feedback import Refund
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.partners import Feed
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus
from function_app.domain.realtime.decisions import ContractBook
from function_app.domain.reconciliation.model import Break, BreakKind, FeedReconciliation, Side

SOURCE_OF_RECORD = "source-of-record"
_STAMP = "%Y%m%dT%H%M%S%fZ"  # how every journal position begins: when the fact was decided
_STAMP_LENGTH = 22
_ANY_DAY = date(2000, 1, 1)  # expected rows are read back without their header, so its date does not matter
_EXCHANGE_FACTS = frozenset({FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_REVISED, FactKind.CONTRACT_CANCELLED})
_T = TypeVar("_T")


@dataclass(frozen=True)
class DeliveredFileView:
    """One delivered file as reconciliation finds it: its bytes and its manifest now (None: the blob is gone),
    and the facts its journal ranges give it. `expected_facts` are those of the business date reconciled;
    `other_facts` those of other dates (a file also carries late facts of earlier dates), which belong in the
    file too but are reconciled on their own date."""

    name: str
    data: bytes | None
    manifest: dict[str, Any] | None
    expected_facts: Sequence[JournalFact]
    other_facts: Sequence[JournalFact] = ()


def decided_at(fact: JournalFact) -> datetime:
    """When the exchange decided the fact: the timestamp its position begins with."""
    return datetime.strptime(fact.position[:_STAMP_LENGTH], _STAMP).replace(tzinfo=UTC)


def expected_rows(facts: Iterable[JournalFact], feed: Feed) -> list[Row]:
    """What the feed's file holds for these facts, one row per fact: written by the real writer, read back."""
    fields = list(feed.fields)
    writer = writer_for(feed.format, "reconciliation", feed.name, _ANY_DAY, 1, fields)
    pii = PiiLevel(feed.pii)
    rows = writer.rows(record(fact, fields, pii) for fact in facts)
    data = writer.header() + b"".join(rows) + writer.trailer()
    return parse_rows(feed.format, data, fields)


# --- journal against the delivered files ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    scope: str
    business_date: date
    feed: Feed

    @property
    def fields(self) -> list[str]:
        return list(self.feed.fields)

    def broken(self, kind: BreakKind, key: str, contract: str | None, detail: str) -> Break:
        return Break(kind, self.business_date, self.scope, key, contract, detail)

    def contract_in(self, row: Row) -> str | None:
        """The row's contract number when the feed lists that column (rows are keyed by it), else None."""
        if "contract_number" not in self.feed.fields:
            return None
        return row[self.feed.fields.index("contract_number")] or None

    def key(self, row: Row) -> str:
        """Rows pair by contract number, or by their order in the file when the feed has no such column."""
        return self.contract_in(row) or ""

    def totals(self, rows: Sequence[Row]) -> dict[str, str]:
        return file_totals(self.feed.format, rows, self.fields)


@dataclass(frozen=True)
class _Matched:
    """A file's records against the facts its ranges give it."""

    found: list[JournalFact]  # the record as expected
    altered: list[tuple[JournalFact, Row, int]]  # the fact, the row it should give, the record in its place
    missing: list[JournalFact]
    set_aside: list[int]  # records of other dates' facts
    extras: list[int]  # records no fact of the file accounts for


@dataclass(frozen=True)
class _FileCheck:
    view: DeliveredFileView
    expected: list[tuple[JournalFact, Row]]
    breaks: list[Break]
    rows: list[Row] = field(default_factory=list)  # what the file holds for the business date
    aside: list[Row] = field(default_factory=list)  # what it holds for other dates
    found: list[JournalFact] = field(default_factory=list)  # the date's facts whose record it holds
    extras: list[tuple[int, Row]] = field(default_factory=list)  # (record number, row)


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
) -> FeedReconciliation:
    """`facts`: the date's facts the feed subscribes to that delivered files cover, in position order;
    `undelivered`: those no file covers yet; `files`: every file holding facts of the date (or named for it)."""
    ctx = _Context(f"{partner}/{feed.name}", business_date, feed)
    checks = [_check_file(ctx, view) for view in files]
    breaks = [
        *(b for check in checks for b in check.breaks),
        *_extra_records(ctx, checks),
        *_in_two_files(ctx, checks),
        *_uncovered(ctx, facts, checks),
        *_late(ctx, undelivered, now, late_after),
    ]
    journal_rows = expected_rows([*facts, *undelivered], feed)
    return FeedReconciliation(
        partner=partner,
        feed=feed.name,
        journal=Side(len(journal_rows), ctx.totals(journal_rows)),
        files=_files_side(ctx, checks),
        manifests=_manifests_side(ctx, checks),
        file_names=tuple(view.name for view in files),
        breaks=tuple(dict.fromkeys(breaks)),
    )


def _check_file(ctx: _Context, view: DeliveredFileView) -> _FileCheck:
    expected = list(zip(view.expected_facts, expected_rows(view.expected_facts, ctx.feed), strict=True))
    others = expected_rows(view.other_facts, ctx.feed)
    if view.data is None:
        return _FileCheck(view, expected, _absent(ctx, view.name, expected, "was removed"), aside=others)
    try:
        actual = _read(ctx, view.data)
    except ValueError as error:
        unread = _absent(ctx, view.name, expected, f"cannot be read: {error}")
        return _FileCheck(view, expected, [*_manifest_breaks(ctx, view, view.data, None), *unread], aside=others)
    matched = _match(ctx, expected, others, actual)
    aside = set(matched.set_aside)
    return _FileCheck(
        view,
        expected,
        [*_manifest_breaks(ctx, view, view.data, actual), *_record_breaks(ctx, view.name, matched, actual)],
        rows=[row for index, row in enumerate(actual) if index not in aside],
        aside=[actual[index] for index in matched.set_aside],
        found=[*matched.found, *(fact for fact, _, _ in matched.altered)],
        extras=[(index + 1, actual[index]) for index in matched.extras],
    )


def _read(ctx: _Context, data: bytes) -> list[Row]:
    rows = parse_rows(ctx.feed.format, data, ctx.fields)
    ctx.totals(rows)  # raises unless every money cell is an amount
    return rows


def _absent(ctx: _Context, name: str, expected: list[tuple[JournalFact, Row]], what: str) -> list[Break]:
    """Every record the file should hold is missing; a file that should hold none is missing itself."""
    if not expected:
        return [ctx.broken(BreakKind.MISSING, name, None, f"{name} {what}; it held no record of the date")]
    return [
        ctx.broken(BreakKind.MISSING, fact.contract_number, fact.contract_number,
                   f"{_named(fact)} is not delivered: its file {name} {what}")
        for fact, _ in expected
    ]


def _named(fact: JournalFact) -> str:
    return f"{fact.contract_number} ({fact.kind.value} at {fact.position})"


def _match(ctx: _Context, expected: list[tuple[JournalFact, Row]], others: list[Row], actual: list[Row]) -> _Matched:
    """Records equal to an expected row first (as multisets); then, by key, what is left: an expected row and a
    record with the same key are one record altered; an expected row without one is missing."""
    free: dict[Row, deque[int]] = {}
    for index, row in enumerate(actual):
        free.setdefault(row, deque()).append(index)
    exact = [(fact, row, _take(free, row)) for fact, row in expected]
    found = [fact for fact, _, index in exact if index is not None]
    unmatched = [(fact, row) for fact, row, index in exact if index is None]
    aside = [(row, _take(free, row)) for row in others]
    left = sorted(index for indices in free.values() for index in indices)
    altered, missing, left = _pair(ctx, unmatched, left, actual)
    # another date's record, altered: reconciled (and reported) on its own date
    other_altered, _, extras = _pair(ctx, [(row, row) for row, index in aside if index is None], left, actual)
    set_aside = [index for _, index in aside if index is not None] + [index for _, _, index in other_altered]
    return _Matched(found, altered, [fact for fact, _ in missing], sorted(set_aside), extras)


def _take(free: dict[Row, deque[int]], row: Row) -> int | None:
    indices = free.get(row)
    return indices.popleft() if indices else None


def _pair(
    ctx: _Context, wanted: list[tuple[_T, Row]], left: list[int], actual: list[Row]
) -> tuple[list[tuple[_T, Row, int]], list[tuple[_T, Row]], list[int]]:
    """Wanted rows paired in order with the remaining records of the same key; what stays unpaired on each side."""
    by_key: dict[str, deque[int]] = {}
    for index in left:
        by_key.setdefault(ctx.key(actual[index]), deque()).append(index)
    paired: list[tuple[_T, Row, int]] = []
    unpaired: list[tuple[_T, Row]] = []
    for item, row in wanted:
        queue = by_key.get(ctx.key(row))
        if queue:
            paired.append((item, row, queue.popleft()))
        else:
            unpaired.append((item, row))
    taken = {index for _, _, index in paired}
    return paired, unpaired, [index for index in left if index not in taken]


def _record_breaks(ctx: _Context, name: str, matched: _Matched, actual: list[Row]) -> Iterator[Break]:
    for fact, row, index in matched.altered:
        differences = "; ".join(
            f"{column} {want!r} in the journal, {got!r} in the file"
            for column, want, got in zip(ctx.fields, row, actual[index], strict=True)
            if want != got
        )
        detail = f"{_named(fact)} differs in {name} record {index + 1}: {differences}"
        yield ctx.broken(BreakKind.AMOUNT_MISMATCH, fact.contract_number, fact.contract_number, detail)
    for fact in matched.missing:
        detail = f"{_named(fact)} is not in {name}"
        yield ctx.broken(BreakKind.MISSING, fact.contract_number, fact.contract_number, detail)


def _manifest_breaks(ctx: _Context, view: DeliveredFileView, data: bytes, rows: list[Row] | None) -> list[Break]:
    """The manifest's figures against the file's own: record count and control totals (when the file can be
    read), its sha256 and size."""
    if view.manifest is None:
        return [ctx.broken(BreakKind.AMOUNT_MISMATCH, view.name, None, f"{view.name} has no manifest")]
    claimed = _manifest_figures(view.manifest)
    actual = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": str(len(data))}
    if rows is not None:
        actual["record_count"] = str(len(rows))
        actual.update({f"control_totals.{k}": total for k, total in ctx.totals(rows).items()})
    names = [*actual, *(name for name in claimed if name not in actual and name.startswith("control_totals."))]
    differences = [
        f"{name} {claimed.get(name, 'absent')} in the manifest, {actual.get(name, 'absent')} in the file"
        for name in names
        if not _agrees(name, claimed.get(name), actual.get(name))
    ]
    if not differences:
        return []
    detail = f"the manifest of {view.name} disagrees with the file: {'; '.join(differences)}"
    return [ctx.broken(BreakKind.AMOUNT_MISMATCH, view.name, None, detail)]


def _manifest_figures(manifest: Mapping[str, Any]) -> dict[str, str]:
    figures = {name: str(manifest[name]) for name in ("record_count", "sha256", "bytes") if name in manifest}
    totals = manifest.get("control_totals")
    if isinstance(totals, dict):
        figures.update({f"control_totals.{name}": str(value) for name, value in totals.items()})
    return figures


def _agrees(name: str, claimed: str | None, actual: str | None) -> bool:
    if claimed == actual:
        return True
    if not name.startswith("control_totals.") or claimed is None or actual is None:
        return False
    amounts = _decimal(claimed), _decimal(actual)
    return amounts[0] is not None and amounts[0] == amounts[1]


def _decimal(text: object) -> Decimal | None:
    try:
        amount = Decimal(str(text))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _extra_records(ctx: _Context, checks: Sequence[_FileCheck]) -> Iterator[Break]:
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
                detail = f"{name} record {number} repeats {_named(fact)}, which {where}"
                yield ctx.broken(BreakKind.DUPLICATE, fact.contract_number, fact.contract_number, detail)
            else:
                contract = ctx.contract_in(row)
                detail = f"{name} record {number} matches no fact of {ctx.business_date} the file's ranges cover: {row}"
                yield ctx.broken(BreakKind.AMOUNT_MISMATCH, contract or f"{name}#{number}", contract, detail)


def _in_two_files(ctx: _Context, checks: Sequence[_FileCheck]) -> Iterator[Break]:
    files: dict[str, list[str]] = {}
    facts: dict[str, JournalFact] = {}
    for check in checks:
        for fact in check.found:
            files.setdefault(fact.position, []).append(check.view.name)
            facts[fact.position] = fact
    for position, names in files.items():
        if len(names) > 1:
            fact = facts[position]
            detail = f"{_named(fact)} is delivered in {len(names)} files: {', '.join(names)}"
            yield ctx.broken(BreakKind.DUPLICATE, fact.contract_number, fact.contract_number, detail)


def _uncovered(ctx: _Context, facts: Sequence[JournalFact], checks: Sequence[_FileCheck]) -> Iterator[Break]:
    """Facts delivery has passed over (covered by the feed's watermark) that no delivered file's ranges hold."""
    covered = {fact.position for check in checks for fact, _ in check.expected}
    for fact in facts:
        if fact.position not in covered:
            detail = f"{_named(fact)} is behind the feed's watermark, but no delivered file covers it"
            yield ctx.broken(BreakKind.MISSING, fact.contract_number, fact.contract_number, detail)


def _late(ctx: _Context, undelivered: Sequence[JournalFact], now: datetime, late_after: timedelta) -> Iterator[Break]:
    for fact in undelivered:
        waited = now - decided_at(fact)
        if waited > late_after:
            detail = f"{_named(fact)} is not delivered {waited} after it was decided; the limit is {late_after}"
            yield ctx.broken(BreakKind.LATE, fact.contract_number, fact.contract_number, detail)


def _files_side(ctx: _Context, checks: Sequence[_FileCheck]) -> Side:
    rows = [row for check in checks for row in check.rows]
    return Side(len(rows), ctx.totals(rows))


def _manifests_side(ctx: _Context, checks: Sequence[_FileCheck]) -> Side:
    """What the manifests claim for the date: each usable manifest's figures, less its file's records of other
    dates (a manifest counts its whole file)."""
    money = [name for name in ctx.fields if FIELDS[name].kind is FieldKind.MONEY]
    count, totals = 0, dict.fromkeys(money, Decimal("0.00"))
    for check in checks:
        claimed = _manifest_claims(check.view.manifest, money)
        if claimed is None:
            continue
        others = ctx.totals(check.aside)
        count += claimed[0] - len(check.aside)
        for name in money:
            totals[name] += claimed[1][name] - Decimal(others[name])
    return Side(count, {name: f"{cents(total):f}" for name, total in totals.items()})


def _manifest_claims(manifest: Mapping[str, Any] | None, money: list[str]) -> tuple[int, dict[str, Decimal]] | None:
    """The manifest's record count and control totals, or None when it has none usable."""
    if manifest is None:
        return None
    count, totals = manifest.get("record_count"), manifest.get("control_totals")
    if not isinstance(count, int) or isinstance(count, bool) or not isinstance(totals, dict):
        return None
    amounts = {name: _decimal(totals.get(name)) for name in money}
    if any(amount is None for amount in amounts.values()):
        return None
    return count, {name: amount for name, amount in amounts.items() if amount is not None}


# --- the exchange against the source of record ----------------------------------------------------------------


def compare_source_of_record(
    *,
    business_date: date,
    accepted: Sequence[tuple[JournalFact, ContractRecord]],
    now: datetime,
    grace: timedelta,
    catalogue: Catalogue,
) -> tuple[Break, ...]:
    """The date's contracts accepted and cancellations accepted, each with its contract's current record, against
    what the back office reports for it. A fact decided within `grace` of `now` is not checked yet: the back
    office takes time to hear of it."""
    breaks = [
        b
        for fact, current in accepted
        if fact.kind in _EXCHANGE_FACTS and now - decided_at(fact) > grace
        for b in _against_back_office(business_date, fact, current, catalogue)
    ]
    return _unique(breaks)


def _against_back_office(day: date, fact: JournalFact, current: ContractRecord, catalogue: Catalogue) -> list[Break]:
    number, back_office = fact.contract_number, current.source_of_record.status
    if back_office is None:
        detail = f"{_named(fact)} is not in the source of record, which has never reported the contract"
        return [Break(BreakKind.MISSING, day, SOURCE_OF_RECORD, number, number, detail)]
    if fact.kind is FactKind.CONTRACT_CANCELLED:
        return [*_cancelled_status(day, fact, current, back_office), *_refund_breaks(day, current, catalogue)]
    return _active_status(day, fact, current, back_office)


def _cancelled_status(day: date, fact: JournalFact, current: ContractRecord, back_office: str) -> list[Break]:
    # EXPIRED is not CANCELLED either: the exchange refunded a cancellation the back office never recorded
    if current.status is not ContractStatus.CANCELLED or back_office == ContractStatus.CANCELLED.value:
        return []
    detail = f"{_named(fact)}: the exchange has it CANCELLED, the source of record {back_office}"
    return [Break(BreakKind.STATUS_MISMATCH, day, SOURCE_OF_RECORD, fact.contract_number, fact.contract_number, detail)]


def _active_status(day: date, fact: JournalFact, current: ContractRecord, back_office: str) -> list[Break]:
    # Only a back-office CANCELLED contradicts an ACTIVE contract. EXPIRED (its term ran out) and SUSPENDED (a hold
    # on claims) are back-office states the exchange does not keep: the contract was not cancelled, so no refund is
    # owed and nothing the exchange sent is wrong; partners hear of them as STATUS_CHANGED facts.
    # A contract the exchange cancelled since is checked against its cancellation's own fact.
    if current.status is not ContractStatus.ACTIVE or back_office != ContractStatus.CANCELLED.value:
        return []
    detail = f"{_named(fact)}: the exchange has it ACTIVE, the source of record CANCELLED"
    return [Break(BreakKind.STATUS_MISMATCH, day, SOURCE_OF_RECORD, fact.contract_number, fact.contract_number, detail)]


def _refund_breaks(day: date, current: ContractRecord, catalogue: Catalogue) -> list[Break]:
    """The refund the exchange sent against the one due with the claims the back office now reports paid."""
    if current.cancellation is None or current.submission is None:
        return []
    sent, due = current.cancellation.refund.to_json(), refund_due(current, catalogue).to_json()
    differences = [f"{name} {sent.get(name)} sent, {due_now} due" for name, due_now in due.items()
                   if sent.get(name) != due_now]
    if not differences:
        return []
    number = current.contract_number
    detail = (f"{number}: the refund sent differs from the refund due with the claims the source of record reports "
              f"paid ({current.claims_paid:f}): {'; '.join(differences)}")
    return [Break(BreakKind.AMOUNT_MISMATCH, day, SOURCE_OF_RECORD, number, number, detail)]


def refund_due(current: ContractRecord, catalogue: Catalogue) -> Refund:
    """The refund a cancelled contract's cancellation should carry now, with the claims its record holds as paid."""
    assert current.submission is not None and current.cancellation is not None
    return ContractBook(catalogue).quote(current, current.cancellation.request)


# --- across runs ----------------------------------------------------------------------------------------------


def resolve(previous: Iterable[Break], current: Iterable[Break]) -> tuple[Break, ...]:
    """The earlier breaks (by identity) this comparison no longer finds."""
    found = {b.identity for b in current}
    return _unique(b for b in previous if b.identity not in found)


def _unique(breaks: Iterable[Break]) -> tuple[Break, ...]:
    """One break per identity, the first found."""
    first: dict[str, Break] = {}
    for found in breaks:
        first.setdefault(found.identity, found)
    return tuple(first.values())
