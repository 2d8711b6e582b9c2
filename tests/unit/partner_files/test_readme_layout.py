"""The README's fixed-width layout is the code's: the widths table and the header and trailer offsets."""

from __future__ import annotations

import re
from pathlib import Path

from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.layout import fixed_layout

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
SECTION = README.split("- **Layout.**", 1)[1].split("- **Acknowledgements.**", 1)[0]


def test_the_documented_widths_are_the_catalogue_s() -> None:
    block = re.search(r"```\n(.*?)```", SECTION, re.S)
    assert block is not None
    documented = re.findall(r"([a-z_]+)\s+(\d+)\s+([a-z]+)", block.group(1))
    assert documented == [(f.name, str(f.width), f.kind.value) for f in FIELDS.values()]


def test_the_documented_header_and_trailer_offsets_are_the_layout_s() -> None:
    layout = fixed_layout([FIELDS["retail_price"]])
    header = {c.name: f"{c.start}–{c.end}" for c in layout.header.values}
    text = " ".join(SECTION.split())
    assert (f"Header: record type 1, partner {header['partner']}, feed {header['feed']}, business date "
            f"{header['business_date']}, sequence {header['sequence']}.") in text
    count, total = layout.trailer.values
    assert f"Trailer: record type 1, record count {count.start}–{count.end}, then {total.width} bytes" in text
