"""What a partner's acknowledgement says (spec/PARTNER-FILES.md, "Acknowledgement").

Three forms, each with CRLF or LF line ends, surrounding whitespace and a UTF-8 byte order mark allowed:
- the hex digest alone, in either case;
- a line as `sha256sum` writes it: `<digest>  <file name>` (text mode) or `<digest> *<file name>` (binary
  mode), or GNU's escaped form `\\<digest>  <name with \\\\ and \\n>`; the name may carry a path, and its last part
  must be the data file's name;
- a JSON object `{"sha256": "<digest>"}` (other keys are ignored).
Only the first non-empty line of a digest or `sha256sum` ack counts. The content is partner input: it is used
for one comparison, and never echoed back in a note.
"""

from __future__ import annotations

import json
import re

_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_SHA256SUM_LINE = re.compile(r"(\\?)([0-9a-fA-F]{64}) [ *](.+)")
_UNESCAPED = {"n": "\n", "r": "\r"}  # GNU sha256sum escapes "\\", LF and CR in names, and marks such lines with "\\"
_FORMS = 'the hex digest, a sha256sum line "<digest>  <file name>" or a JSON object {"sha256": "<digest>"}'


def claimed_sha256(content: bytes, file_name: str) -> tuple[str | None, str]:
    """The digest the ack holds, lower-cased, and ""; or None and why the ack holds no usable digest of
    `file_name` (the data file's name, without its path)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":  # else only cut short (a long ack is read up to a limit)
            return None, "ack content is not UTF-8 text"
        text = content[: error.start].decode("utf-8")
    text = text.removeprefix("\ufeff").strip()
    if text.startswith("{"):
        return _from_json(text)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if _DIGEST.fullmatch(first):
        return first.lower(), ""
    line = _SHA256SUM_LINE.fullmatch(first)
    if line is None:
        return None, f"ack content is not a sha256: expected {_FORMS}"
    escaped, digest, name = line.groups()
    if escaped:
        name = re.sub(r"\\(.)", lambda found: _UNESCAPED.get(found[1], found[1]), name)
    if name.rsplit("/", 1)[-1] != file_name:
        return None, f"the sha256sum line names another file than {file_name}"
    return digest.lower(), ""


def _from_json(text: str) -> tuple[str | None, str]:
    try:
        document = json.loads(text)
    except ValueError:
        return None, f"ack content begins with '{{' but is not JSON: expected {_FORMS}"
    digest = document.get("sha256") if isinstance(document, dict) else None
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest.strip()):
        return None, 'the JSON ack holds no "sha256" of 64 hexadecimal characters'
    return digest.strip().lower(), ""
