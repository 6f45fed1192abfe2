"""The local approval server: the ApprovalApi handler over real HTTP on 127.0.0.1, plus candidate images."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hookforge.deps import Deps
from hookforge.local.approval_server import ApprovalServer
from tests.unit.approval_env import approval_env, png, stored_approval


@pytest.fixture
def served() -> Iterator[tuple[Deps, ApprovalServer]]:
    with approval_env(stage="local", base_url="http://unused") as deps, ApprovalServer(deps) as server:
        # what the handlers reach while the server runs: the same clients, with the server's link base
        assert Deps.current() is server.deps
        yield server.deps, server


def test_server_binds_loopback_on_a_free_port_and_sets_the_link_base(served) -> None:  # type: ignore[no-untyped-def]
    deps, server = served
    assert server.base_url.startswith("http://127.0.0.1:") and not server.base_url.endswith(":0")
    assert deps.settings.approval_base_url == server.base_url


def test_page_is_served_with_the_handler_statuses_and_headers(served) -> None:  # type: ignore[no-untyped-def]
    # Given a waiting approval
    deps, server = served
    record = stored_approval(deps)
    link = server.link_for(record)
    # When its link and a tampered copy are fetched over HTTP
    ok = httpx.get(link, timeout=10)
    tampered = httpx.get(link.replace("sig=", "sig=Z"), timeout=10)
    # Then the page and the 403 come from the ApprovalApi handler, with its headers
    assert ok.status_code == 200 and 'name="form_token"' in ok.text
    assert ok.headers["referrer-policy"] == "no-referrer" and ok.headers["cache-control"] == "no-store"
    assert tampered.status_code == 403
    # And the page's images load from the server's media route
    image = httpx.get(f"{server.base_url}/media/{record.candidates[0].key}", timeout=10)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == deps.store.get_bytes(record.candidates[0].key)


@pytest.mark.parametrize(
    "path",
    [
        "/media/runs/run-1/../../etc/passwd",
        "/media/runs/run-1/secret.json",
        "/media/other/x.png",
        "/media/runs/none.png",
    ],
)
def test_media_route_serves_only_stored_images(served, path: str) -> None:  # type: ignore[no-untyped-def]
    deps, server = served
    deps.store.put_bytes("runs/run-1/secret.json", b"{}", content_type="application/json")
    deps.store.put_bytes("other/x.png", png((1, 2, 3)), content_type="image/png")
    assert httpx.get(server.base_url + path, timeout=10).status_code == 404


def test_chooser_shows_each_link_once_and_never_decides(served) -> None:  # type: ignore[no-untyped-def]
    # Given the web chooser and a waiting approval
    deps, server = served
    record = stored_approval(deps)
    shown: list[str] = []
    choose = server.chooser(announce=shown.append)
    # When the engine asks it three times
    answers = [choose(None, record) for _ in range(3)]
    # Then it never decides by itself, shows the signed link once, and the approval stays open
    assert answers == [None, None, None]
    assert len(shown) == 1 and shown[0].endswith(server.link_for(record))
    assert not deps.approvals.get(record.approval_id).decided


def test_stopping_restores_the_base_url() -> None:
    with approval_env(stage="local", base_url="http://before") as deps:
        with ApprovalServer(deps):
            pass
        assert deps.settings.approval_base_url == "http://before"
