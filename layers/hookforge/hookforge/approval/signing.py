"""Signed approval links and single-use form tokens (HMAC-SHA256). Never the task token.

A link is `<base>/approvals/<id>?exp=<unix>&sig=<hmac(id, exp)>`: it can be neither forged for another
approval nor extended. The page's forms carry a *form token* `<issued>.<nonce>.<hmac(id, issued, nonce)>`
that only the server can mint; a POST without a valid one is refused. Single use comes from the
conditional write that marks the approval decided (records.py), which also stores the nonce's hash.

The key comes from `deps.Secrets.signing_key` (the settings, the local engine's key file, or Secrets Manager).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from urllib.parse import urlencode

from hookforge.errors import ConfigError, LinkExpired, LinkTampered

#: a form token is valid this long after the page was rendered (and never past the approval's expiry)
FORM_TOKEN_TTL = 24 * 3600

#: a unix time as this module writes it: ASCII digits, no sign, no leading zero, at most 12 digits
#: (`str.isdigit` also accepts "²" or "٣", which `int` then refuses; an unbounded run of digits costs CPU)
_UNIX_TIME = re.compile(r"[1-9][0-9]{0,11}")


def _unix_time(value: str | None) -> int | None:
    """`value` as a unix time when it is one this module could have written, None otherwise."""
    if value is None or not _UNIX_TIME.fullmatch(value):
        return None
    return int(value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    """Signs and verifies approval links and form tokens with one HMAC key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ConfigError("the approval signing key is shorter than 16 bytes; generate a longer secret")
        self._key = key

    def __repr__(self) -> str:  # never show the key
        return "Signer(key=***)"

    def _mac(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    # ------------------------------------------------------------------------------ links
    def link_signature(self, approval_id: str, expires_at: int) -> str:
        return self._mac("link", approval_id, str(int(expires_at)))

    def link(self, base_url: str, approval_id: str, expires_at: int) -> str:
        query = urlencode({"exp": int(expires_at), "sig": self.link_signature(approval_id, expires_at)})
        return f"{base_url.rstrip('/')}/approvals/{approval_id}?{query}"

    def verify_link(self, approval_id: str, exp: str | None, sig: str | None, *, now: float) -> int:
        """The link's expiry when `sig` signs (approval_id, exp); LinkTampered / LinkExpired otherwise."""
        expires_at = _unix_time(exp)
        if expires_at is None or not sig:
            raise LinkTampered("this approval link is incomplete or has been altered")
        expected = self.link_signature(approval_id, expires_at)
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            raise LinkTampered("this approval link has been altered or was not issued by hookforge")
        if expires_at <= now:
            raise LinkExpired("this approval link has expired")
        return expires_at

    # ------------------------------------------------------------------------------ form tokens
    def form_token(self, approval_id: str, *, now: float, nonce: str | None = None) -> str:
        """A fresh token for the page's forms. Minting one writes nothing (GET stays side-effect free)."""
        nonce = nonce or secrets.token_urlsafe(16)
        issued = str(int(now))
        return f"{issued}.{nonce}.{self._mac('form', approval_id, issued, nonce)}"

    def verify_form_token(self, approval_id: str, token: str | None, *, now: float) -> str:
        """The token's nonce hash when it is valid for this approval; LinkTampered / LinkExpired otherwise."""
        parts = (token or "").split(".")
        issued_at = _unix_time(parts[0]) if len(parts) == 3 else None
        if issued_at is None:
            raise LinkTampered("the decision form is missing its signed token; reload the page and try again")
        issued, nonce, mac = parts
        if not hmac.compare_digest(self._mac("form", approval_id, issued, nonce).encode(), mac.encode()):
            raise LinkTampered("the decision form's token is not valid for this approval")
        if issued_at + FORM_TOKEN_TTL <= now:
            raise LinkExpired("this decision form is too old; reload the page and decide again")
        return nonce_hash(nonce)


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()
