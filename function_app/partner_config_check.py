"""Start-up check of the partner configuration that stays off the cold-start path when it can.

`fnix partners check` validates the file with the full pydantic model and, when it is valid, writes a stamp
beside it: the sha256 of the file together with the validating code. At start-up a matching stamp proves the
very same file was validated by the very same rules, so pydantic need not load; any difference (an edited
file, changed rules, no stamp) runs the full validation, which stops start-up with the partner and field.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_RULES = ("domain/kernel/partners.py", "domain/kernel/partner_values.py", "domain/kernel/feed_mode.py",
          "adapters/kernel/partner_config_file.py", "domain/delivery/fields.py", "domain/delivery/records.py",
          "domain/kernel/catalogue.py")
_PACKAGE = Path(__file__).resolve().parent


def stamp_path(config: Path) -> Path:
    return config.with_name(config.name + ".validated")


def fingerprint(config: Path) -> str:
    digest = hashlib.sha256(config.read_bytes())
    for rule in _RULES:
        digest.update((_PACKAGE / rule).read_bytes())
    return digest.hexdigest()


def ensure_valid(config: Path) -> None:
    """Returns when the configuration is valid; raises PartnerConfigError naming partner, feed and field."""
    try:
        if stamp_path(config).read_text(encoding="ascii").strip() == fingerprint(config):
            return
    except OSError:
        pass
    from function_app.adapters.kernel.partner_config_file import load_partner_config

    load_partner_config(config)


def write_stamp(config: Path) -> None:
    """Only after a full validation passed (`fnix partners check`)."""
    stamp_path(config).write_text(fingerprint(config) + "\n", encoding="ascii")
