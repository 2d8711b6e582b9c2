"""What the exchange's own records say it wrote to a partner's `outbound/`, against what the container holds: the
delivery records and feed states, the fixed-width layouts, the claims files answered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.layout import layout_blob_name, layout_document
from function_app.domain.kernel.partners import Feed, Partner
from function_app.domain.reconciliation.file_contents import first_difference
from function_app.domain.reconciliation.inventory import OUTBOUND, PartnerOutbound, dated, inventory_breaks
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.service_layer.claims.ports import ClaimsProgress, FileStatus
from function_app.service_layer.claims.service import RESULTS_PREFIX, results_name
from function_app.service_layer.delivery.planning import blob_name
from function_app.service_layer.delivery.ports import DeliveryStateStore, FileClaim, PartnerFileStore

CLAIMS_INBOUND = "inbound/claims/"
_ANSWERED = (FileStatus.DONE, FileStatus.REJECTED)
Render = Callable[[str, Feed, FileClaim], bytes]  # the bytes a claimed file must hold


class OutboundInventory:
    def __init__(self, deliveries: DeliveryStateStore, files: PartnerFileStore, claims: ClaimsProgress | None,
                 render: Render) -> None:
        self._deliveries = deliveries
        self._files = files
        self._render = render
        self._claims = claims  # None: results files are accounted for by their name alone

    def breaks(self, partner: Partner, business_date: date) -> list[Break]:
        """The partner's blobs of the date (and those no date names) that the exchange did not write, and its
        published layouts that are not what the layout function gives."""
        names = list(self._files.names(partner.id, OUTBOUND))
        outbound = self.written(partner, names)
        return [*inventory_breaks(outbound, names, business_date), *self._layouts(partner, business_date, names)]

    def written(self, partner: Partner, names: list[str]) -> PartnerOutbound:
        recorded = frozenset(d.blob_name for d in self._deliveries.files(partner.id))
        cut: set[str] = set()
        in_flight: set[str] = set()
        foreign: set[str] = set()
        for feed in partner.feeds:
            state, _ = self._deliveries.read(partner.id, feed.name)
            for day, last in state.sequences.items():
                cut.update(blob_name(partner.id, feed, date.fromisoformat(day), k) for k in range(1, last + 1))
            claim = state.pending
            if claim is not None and claim.blob_name in names:
                # a file in flight is the exchange's only with the bytes its claim renders to; another blob under
                # its name (a delivery stopped for it) is no file the exchange wrote
                ours = self._files.read(partner.id, claim.blob_name) == self._render(partner.id, feed, claim)
                (in_flight if ours else foreign).add(claim.blob_name)
        return PartnerOutbound(
            partner=partner.id,
            feeds=frozenset(feed.name for feed in partner.feeds),
            recorded=recorded,
            unrecorded=frozenset(cut - recorded - in_flight - foreign),
            in_flight=frozenset(in_flight),
            layouts=frozenset(layout_blob_name(feed.name) for feed in partner.feeds if feed.format == "fixed"),
            claims_results=frozenset(self._answered(partner.id, names)),
        )

    def _answered(self, partner: str, names: list[str]) -> Iterator[str]:
        for name in names:
            base = name.removeprefix(RESULTS_PREFIX).removesuffix(".results.csv")
            if not name.startswith(RESULTS_PREFIX) or "/" in base or results_name(base + ".csv") != name:
                continue
            if self._claims is None:
                yield name
                continue
            progress, _ = self._claims.get(partner, f"{CLAIMS_INBOUND}{base}.csv")
            if progress is not None and progress.status in _ANSWERED and progress.results == name:
                yield name

    def _layouts(self, partner: Partner, business_date: date, names: list[str]) -> Iterator[Break]:
        for feed in partner.feeds:
            name = layout_blob_name(feed.name)
            if feed.format != "fixed" or name not in names or dated(name) not in (None, business_date):
                continue
            document = layout_document(partner.id, feed.name, [FIELDS[field] for field in feed.fields])
            how = first_difference(document, self._files.read(partner.id, name), "json")
            if how is not None:
                yield Break(BreakKind.CONTENT_MISMATCH, business_date, f"{partner.id}/{feed.name}", name, None,
                            f"{name} is not the feed's layout: {how}")
