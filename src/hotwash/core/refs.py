"""References people use for records: a prefix and the record's number
(INC-42, AI-7, PM-3). Each app owns its prefix; reading one back is the
same rule everywhere."""

from __future__ import annotations

import re

from hotwash.core.errors import NotFound


def ref_number(ref: object, prefix: str) -> int | None:
    """The number `ref` names: "INC-42", "inc-42" or "42" give 42 for the
    prefix "INC-"; anything else gives None, for the caller to explain in
    its own words. At most 18 digits, so the number fits a database key."""
    pattern = rf"(?:{re.escape(prefix)})?(\d{{1,18}})"
    match = re.fullmatch(pattern, str(ref).strip(), re.IGNORECASE)
    return int(match.group(1)) if match else None


def parse_ref(ref: object, prefix: str, message: str) -> int:
    """`ref_number`, or NotFound with `message` (which may use %(ref)s) for
    anything that is not a reference."""
    number = ref_number(ref, prefix)
    if number is None:
        raise NotFound(message % {"ref": ref})
    return number
