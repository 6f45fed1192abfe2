"""The closest valid name to a misspelt one, for "did you mean ...?" in error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(value: object, choices: Iterable[str]) -> str | None:
    """The valid choice closest to a misspelt `value` (difflib, ignoring case and outer spaces), if one is close."""
    by_key = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(str(value).strip().lower(), list(by_key), n=1, cutoff=0.6)
    return by_key[match[0]] if match else None
