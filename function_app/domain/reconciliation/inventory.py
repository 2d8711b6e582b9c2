"""Every blob under `outbound/` of a partner's container accounted for (spec/PARTNER-FILES.md, "Nothing
unaccounted for"): a data file the exchange recorded, its manifest, a published layout, a claims results file and
its manifest. Anything else is a break naming the blob; a data file whose sequence the feed's state counts as
delivered but whose delivery record is gone is a break of its own kind, not an unknown file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from function_app.domain.reconciliation.model import Break, BreakKind

OUTBOUND = "outbound/"
MANIFEST_SUFFIX = ".manifest.json"
_DATED = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")


def dated(name: str) -> date | None:
    """The business date a blob's path names (`.../YYYY/MM/DD/...`), None when it names none or no real date."""
    found = _DATED.search(name)
    if found is None:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def feed_folder(name: str) -> str:
    """The folder a blob lies in right under `outbound/` ("" for a blob directly there)."""
    rest = name.removeprefix(OUTBOUND)
    return rest.split("/", 1)[0] if "/" in rest else ""


@dataclass(frozen=True)
class PartnerOutbound:
    """What the exchange's own records say it wrote to one partner's `outbound/`."""

    partner: str
    feeds: frozenset[str]  # the partner's feed names: the folders its files lie in
    recorded: frozenset[str]  # data files with a delivery record
    unrecorded: frozenset[str]  # data files the feed's state counts as cut, with no delivery record
    in_flight: frozenset[str]  # files claimed and not completed yet
    layouts: frozenset[str]  # layouts of its fixed-width feeds
    claims_results: frozenset[str]  # results files of the claims files it answered

    def scope(self, name: str) -> str:
        """The feed a blob belongs to by its folder, else the partner's `outbound` as a whole."""
        folder = feed_folder(name)
        return f"{self.partner}/{folder if folder in self.feeds else 'outbound'}"

    def accounts_for(self, name: str) -> bool:
        base = name.removesuffix(MANIFEST_SUFFIX)
        written = self.recorded | self.in_flight | self.claims_results
        return name in self.layouts or base in written or (base != name and base in self.unrecorded)


def inventory_breaks(outbound: PartnerOutbound, names: Iterable[str], business_date: date) -> Iterator[Break]:
    """The blobs of `names` that belong to the run of `business_date` (their path names that date, or none) and
    that the exchange did not write. The manifest of a data file without a record is named with the data file."""
    for name in sorted(names):
        if not name.startswith(OUTBOUND) or dated(name) not in (None, business_date) or outbound.accounts_for(name):
            continue
        scope = outbound.scope(name)
        if name in outbound.unrecorded:
            detail = (f"{name} is a data file of a sequence the feed's state counts as delivered, but it has no "
                      "delivery record")
            yield Break(BreakKind.DELIVERY_RECORD_MISMATCH, business_date, scope, name, None, detail)
        else:
            detail = f"{name} is under outbound/ but is no file the exchange wrote"
            yield Break(BreakKind.UNKNOWN_FILE, business_date, scope, name, None, detail)
