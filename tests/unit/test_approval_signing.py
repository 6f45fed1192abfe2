"""Signed approval links and form tokens: forged, altered or stale ones are refused."""

from __future__ import annotations

import os
import stat
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from hookforge.approval.signing import FORM_TOKEN_TTL, Signer, nonce_hash
from hookforge.config import Settings
from hookforge.deps import Deps, local_key
from hookforge.errors import ConfigError, LinkExpired, LinkTampered

KEY = b"k" * 32
NOW = 1_800_000_000
SECRET_ENV = "HOOKFORGE_APPROVAL_SECRET"


def signing_key(settings: Settings, *, environ: dict[str, str]) -> bytes:
    """The key a process with this environment signs with (its settings parsed from it, as every handler does)."""
    env = {**environ, "HOOKFORGE_STAGE": settings.stage, "APPROVAL_SECRET_NAME": settings.approval_secret_name}
    return Deps(settings=Settings.from_env(env)).secrets.signing_key()


def _query(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def test_link_verifies_when_unaltered() -> None:
    # Given a link signed for approval abc
    signer = Signer(KEY)
    link = signer.link("https://x.test/v1/", "abc", NOW + 60)
    q = _query(link)
    # Then it points at the approval, carries no token, and verifies
    assert urlsplit(link).path == "/v1/approvals/abc"
    assert signer.verify_link("abc", q["exp"], q["sig"], now=NOW) == NOW + 60


@pytest.mark.parametrize(
    ("approval_id", "exp_delta", "sig_edit"),
    [
        ("abd", 0, False),  # another approval id
        ("abc", 3600, False),  # extended expiry
        ("abc", 0, True),  # altered signature
    ],
)
def test_link_is_refused_when_altered(approval_id: str, exp_delta: int, sig_edit: bool) -> None:
    # Given a valid link
    signer = Signer(KEY)
    q = _query(signer.link("https://x.test", "abc", NOW + 60))
    sig = ("A" if q["sig"][0] != "A" else "B") + q["sig"][1:] if sig_edit else q["sig"]
    # When any part is changed, Then verification fails as tampered
    with pytest.raises(LinkTampered):
        signer.verify_link(approval_id, str(int(q["exp"]) + exp_delta), sig, now=NOW)


def test_link_is_refused_when_signed_with_another_key() -> None:
    q = _query(Signer(b"x" * 32).link("https://x.test", "abc", NOW + 60))
    with pytest.raises(LinkTampered):
        Signer(KEY).verify_link("abc", q["exp"], q["sig"], now=NOW)


@pytest.mark.parametrize(("exp", "sig"), [(None, None), ("", "x"), ("12ab", "x"), ("123", None)])
def test_link_is_refused_when_incomplete(exp: str | None, sig: str | None) -> None:
    with pytest.raises(LinkTampered):
        Signer(KEY).verify_link("abc", exp, sig, now=NOW)


def test_link_is_expired_after_its_deadline() -> None:
    signer = Signer(KEY)
    q = _query(signer.link("https://x.test", "abc", NOW + 60))
    with pytest.raises(LinkExpired):
        signer.verify_link("abc", q["exp"], q["sig"], now=NOW + 60)


def test_form_token_verifies_for_its_approval_only() -> None:
    # Given a form token minted for approval abc
    signer = Signer(KEY)
    token = signer.form_token("abc", now=NOW, nonce="n1")
    # Then it verifies for abc (returning the nonce hash, not the nonce) and not for another approval
    assert signer.verify_form_token("abc", token, now=NOW + 10) == nonce_hash("n1")
    assert "n1" not in nonce_hash("n1")
    with pytest.raises(LinkTampered):
        signer.verify_form_token("abd", token, now=NOW)


@pytest.mark.parametrize("token", [None, "", "garbage", "1.2", "x.n1.sig"])
def test_form_token_is_refused_when_missing_or_malformed(token: str | None) -> None:
    with pytest.raises(LinkTampered):
        Signer(KEY).verify_form_token("abc", token, now=NOW)


def test_form_token_is_refused_when_its_nonce_is_swapped() -> None:
    signer = Signer(KEY)
    issued, _, mac = signer.form_token("abc", now=NOW, nonce="n1").split(".")
    with pytest.raises(LinkTampered):
        signer.verify_form_token("abc", f"{issued}.n2.{mac}", now=NOW)


def test_form_token_expires_after_its_ttl() -> None:
    signer = Signer(KEY)
    token = signer.form_token("abc", now=NOW)
    with pytest.raises(LinkExpired):
        signer.verify_form_token("abc", token, now=NOW + FORM_TOKEN_TTL)


def test_form_tokens_are_fresh_each_time() -> None:
    signer = Signer(KEY)
    assert signer.form_token("abc", now=NOW) != signer.form_token("abc", now=NOW)


def test_signer_never_shows_its_key() -> None:
    assert "k" * 32 not in repr(Signer(KEY))


def test_signer_refuses_a_short_key() -> None:
    with pytest.raises(ConfigError):
        Signer(b"short")


def test_signing_key_comes_from_the_env_var_first() -> None:
    assert signing_key(Settings(stage="aws"), environ={SECRET_ENV: "from-env-0123456789"}) == b"from-env-0123456789"


def test_local_key_is_generated_once_and_private(tmp_path) -> None:
    # Given a local engine home without a key
    settings = Settings(stage="local")
    # When the key is read twice
    first = signing_key(settings, environ={"HOOKFORGE_HOME": str(tmp_path)})
    second = local_key(tmp_path)
    # Then it was generated once, is long, and only the owner can read it
    assert first == second and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / "approval-secret").st_mode) == 0o600


def test_signing_key_is_read_from_the_engine_key_file(tmp_path) -> None:
    (tmp_path / "key").write_text("file-key-0123456789abcdef\n")
    environ = {"HOOKFORGE_APPROVAL_SECRET_FILE": str(tmp_path / "key")}
    assert signing_key(Settings(stage="local"), environ=environ) == b"file-key-0123456789abcdef"


def test_signing_key_is_read_from_secrets_manager_in_aws(monkeypatch) -> None:
    # Given the signing secret in Secrets Manager
    with mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="hookforge/test-signing-key-a", SecretString="s" * 40
        )
        # When the key is read in AWS (no env var)
        key = signing_key(Settings(stage="aws", approval_secret_name="hookforge/test-signing-key-a"), environ={})
    # Then it is the secret's value
    assert key == b"s" * 40


def test_signing_key_names_what_to_set_when_the_secret_is_missing(monkeypatch) -> None:
    with mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with pytest.raises(ConfigError) as info:
            signing_key(Settings(stage="aws", approval_secret_name="hookforge/test-missing-key"), environ={})
    assert "hookforge/test-missing-key" in str(info.value) and SECRET_ENV in str(info.value)
