"""Inspiration sources on their documented response shapes: lexica, civitai, winners, catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from hookforge.config import Settings
from hookforge.errors import ConfigError, ProviderAuthError, ProviderError, ProviderThrottled, ProviderUnavailable
from hookforge.providers.base import ProviderContext, inspiration_source
from hookforge.providers.catalog import CatalogSource
from hookforge.providers.civitai import CivitaiSource
from hookforge.providers.lexica import LexicaSource
from hookforge.providers.winners import WinnersSource

Handler = Callable[[httpx.Request], httpx.Response]


def lexica_image(i: int, prompt: str, *, nsfw: bool = False) -> dict[str, Any]:
    return {
        "id": f"img-{i}",
        "gallery": f"https://lexica.art/?prompt=p{i}",
        "src": f"https://image.lexica.art/full_jpg/img-{i}",
        "srcSmall": f"https://image.lexica.art/sm/img-{i}",
        "prompt": prompt,
        "width": 1024,
        "height": 1536,
        "seed": f"{1000 + i}",
        "grid": False,
        "model": "lexica-aperture-v3.5",
        "guidance": 7,
        "promptid": f"p{i}",
        "nsfw": nsfw,
    }


def ctx_with(handler: Handler, *, secrets: dict[str, str] | None = None) -> ProviderContext:
    def secret(env_var: str, secret_name: str) -> str:
        if secrets and env_var in secrets:
            return secrets[env_var]
        raise ConfigError(f"missing API key: set the environment variable {env_var}")

    return ProviderContext(
        settings=Settings(),
        store=None,  # type: ignore[arg-type]  # web sources never touch the bucket
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        secret=secret,
    )


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    queue = list(responses)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def lexica(handler: Handler) -> LexicaSource:
    return LexicaSource(ctx_with(handler), sleep=lambda _s: None)


# ------------------------------------------------------------------------------------------- lexica
LEXICA_OK = {
    "images": [
        lexica_image(0, "a red sneaker exploding through neon paint, studio light"),
        lexica_image(1, "nude figure in neon light", nsfw=True),
        lexica_image(2, "A red sneaker exploding through neon paint, studio light!"),  # near-duplicate of 0
        lexica_image(3, "mountain lake at dawn, fog, pastel"),
        lexica_image(4, "sneaker made of glass on a pedestal, neon rim light, 85mm"),
        {"id": "x", "prompt": "", "nsfw": False},
    ]
}


def test_lexica_search_drops_nsfw_dedupes_and_ranks_by_relevance() -> None:
    handler, seen = answers(httpx.Response(200, json=LEXICA_OK))
    ideas = lexica(handler).search("neon sneaker", limit=5)
    assert seen[0].url.params["q"] == "neon sneaker"
    texts = [i.text for i in ideas]
    assert all("nude" not in t for t in texts)
    assert sum("red sneaker exploding" in t.lower() for t in texts) == 1
    assert texts[-1] == "mountain lake at dawn, fog, pastel"  # irrelevant to the query ranks last
    first = ideas[0]
    assert (first.source, first.url, first.image_url) == (
        "lexica",
        "https://lexica.art/prompt/p0",
        "https://image.lexica.art/full_jpg/img-0",
    )
    assert (first.width, first.height, first.seed, first.model) == (1024, 1536, "1000", "lexica-aperture-v3.5")


def test_lexica_search_returns_top_n_when_limit_is_small() -> None:
    handler, _ = answers(httpx.Response(200, json=LEXICA_OK))
    assert len(lexica(handler).search("neon sneaker", limit=2)) == 2


def test_lexica_search_retries_when_throttled_then_succeeds() -> None:
    handler, seen = answers(httpx.Response(429), httpx.Response(200, json=LEXICA_OK))
    assert lexica(handler).search("neon sneaker", limit=3)
    assert len(seen) == 2


def test_lexica_search_raises_unavailable_when_504_persists() -> None:
    handler, seen = answers(httpx.Response(504, text="Gateway Timeout"))
    with pytest.raises(ProviderUnavailable, match="HTTP 504"):
        lexica(handler).search("neon sneaker", limit=3)
    assert len(seen) == 3


def test_lexica_search_raises_unavailable_when_it_times_out() -> None:
    handler, _ = answers(httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable, match="did not answer"):
        lexica(handler).search("neon sneaker", limit=3)


def test_lexica_search_raises_auth_error_when_401() -> None:
    handler, seen = answers(httpx.Response(401, json={"error": "unauthorized"}))
    with pytest.raises(ProviderAuthError):
        lexica(handler).search("neon sneaker", limit=3)
    assert len(seen) == 1


def test_lexica_search_raises_provider_error_when_json_is_malformed() -> None:
    handler, _ = answers(httpx.Response(200, text="{not json", headers={"content-type": "application/json"}))
    with pytest.raises(ProviderError, match="not JSON"):
        lexica(handler).search("neon sneaker", limit=3)


def test_lexica_search_raises_provider_error_when_shape_changed() -> None:
    handler, _ = answers(httpx.Response(200, json={"results": []}))
    with pytest.raises(ProviderError, match="'images' list"):
        lexica(handler).search("neon sneaker", limit=3)


# ------------------------------------------------------------------------------------------ civitai
def civitai_item(i: int, prompt: str | None, *, likes: int = 0, nsfw: str = "None") -> dict[str, Any]:
    meta = {"prompt": prompt, "seed": 42 + i, "Model": "juggernautXL", "steps": 30} if prompt is not None else None
    return {
        "id": 9000 + i,
        "url": f"https://image.civitai.com/x/{i}.jpeg",
        "hash": "U5Ezo",
        "width": 832,
        "height": 1216,
        "nsfw": nsfw != "None",
        "nsfwLevel": nsfw,
        "createdAt": "2026-11-20T10:00:00.000Z",
        "postId": 1,
        "stats": {"cryCount": 0, "laughCount": 1, "likeCount": likes, "heartCount": 3, "commentCount": 0},
        "meta": meta,
        "username": "someone",
    }


CIVITAI_OK = {
    "items": [
        civitai_item(0, "neon sneaker on wet asphalt, cinematic", likes=50),
        civitai_item(1, "neon sneaker floating, product shot, rim light", likes=900),
        civitai_item(2, "neon sneaker explicit", likes=5000, nsfw="X"),
        civitai_item(3, None, likes=800),  # no meta: no prompt to reuse
        civitai_item(4, "portrait of an old fisherman", likes=3000),
    ],
    "metadata": {"nextCursor": "abc"},
}


def test_civitai_search_asks_for_meta_and_ranks_safe_relevant_prompts_by_reactions() -> None:
    handler, seen = answers(httpx.Response(200, json=CIVITAI_OK))
    ideas = CivitaiSource(ctx_with(handler), sleep=lambda _s: None).search("neon sneaker", limit=5)
    params = seen[0].url.params
    assert (params["withMeta"], params["sort"], params["period"], params["nsfw"]) == (
        "true",
        "Most Reactions",
        "Week",
        "None",
    )
    assert "authorization" not in seen[0].headers  # the key is optional
    assert [i.url for i in ideas] == ["https://civitai.com/images/9001", "https://civitai.com/images/9000"]
    assert ideas[0].model == "juggernautXL" and ideas[0].seed == 43 and ideas[0].source == "civitai"


def test_civitai_search_sends_key_when_configured() -> None:
    handler, seen = answers(httpx.Response(200, json=CIVITAI_OK))
    source = CivitaiSource(ctx_with(handler, secrets={"CIVITAI_API_KEY": "civ-123"}), sleep=lambda _s: None)
    source.search("neon", limit=1)
    assert seen[0].headers["authorization"] == "Bearer civ-123"


def test_civitai_search_returns_nothing_when_no_prompt_matches_query() -> None:
    handler, _ = answers(httpx.Response(200, json=CIVITAI_OK))
    assert CivitaiSource(ctx_with(handler), sleep=lambda _s: None).search("espresso", limit=3) == []


@pytest.mark.parametrize(
    ("responses", "error"),
    [
        ((httpx.Response(401, json={"error": "bad key"}),), ProviderAuthError),
        ((httpx.Response(429),), ProviderThrottled),
        ((httpx.Response(503),), ProviderUnavailable),
        ((httpx.ConnectTimeout("slow"),), ProviderUnavailable),
        ((httpx.Response(200, text="<html>"),), ProviderError),
    ],
)
def test_civitai_search_raises_named_error_when_call_fails(
    responses: tuple[httpx.Response | Exception, ...], error: type[Exception]
) -> None:
    handler, _ = answers(*responses)
    with pytest.raises(error):
        CivitaiSource(ctx_with(handler), sleep=lambda _s: None).search("neon", limit=3)


def test_civitai_search_retries_when_throttled_then_succeeds() -> None:
    handler, seen = answers(httpx.Response(429), httpx.Response(200, json=CIVITAI_OK))
    assert CivitaiSource(ctx_with(handler), sleep=lambda _s: None).search("neon", limit=3)
    assert len(seen) == 2


# ------------------------------------------------------------------------------------------ winners
@pytest.fixture
def metrics_table() -> Any:
    """The metrics table with its ranking index, as template.yaml declares it."""
    from hookforge.metrics.store import MetricsStore
    from tests.conftest import create_resources

    with mock_aws():
        create_resources("winners-test-bucket", runs_table="winners-test-runs", metrics_table=Settings().metrics_table)
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        yield MetricsStore(resource, Settings().metrics_table)


def winners_source() -> WinnersSource:
    ctx = ProviderContext(settings=Settings(), store=None)  # type: ignore[arg-type]
    ctx.clients["dynamodb"] = boto3.client("dynamodb", region_name="us-east-1")
    return WinnersSource(ctx)


def _seed(store: Any, rows: list[tuple[str, str, str, int, int]]) -> None:
    """(hook_id, prompt, platform, impressions, plays) -> a registered hook with one day of ad data."""
    from hookforge.metrics.ingest import import_json

    for hook_id, prompt, platform, impressions, plays in rows:
        store.put_hook(
            {"hook_id": hook_id, "prompt": prompt, "preset": f"preset-{hook_id}", "image_provider": "openai"}
        )
        row = {"hook_id": hook_id, "date": "2026-11-20", "impressions": impressions, "plays_3s": plays}
        assert import_json(store, {"platform": platform, "rows": [row]}).imported == 1


def test_winners_search_returns_nothing_when_no_hook_has_won(metrics_table: Any) -> None:
    # Given a hook without data and one with a high rate on too few impressions to be sure
    metrics_table.put_hook({"hook_id": "hk-1aaaaaaaaa", "prompt": "a new hook"})
    _seed(metrics_table, [("hk-2bbbbbbbbb", "lucky start", "meta", 5, 3)])
    assert winners_source().search("anything", limit=3) == []


def test_winners_search_returns_winning_prompts_and_presets_best_evidence_first(metrics_table: Any) -> None:
    _seed(
        metrics_table,
        [
            ("hk-1aaaaaaaaa", "neon sneaker wall burst", "meta", 10_000, 3_400),  # 34 %, low 33.1 %: winner
            ("hk-2bbbbbbbbb", "coffee beans explosion", "tiktok", 20_000, 8_200),  # 41 %, low 40.3 %: winner
            ("hk-3ccccccccc", "boring packshot", "meta", 10_000, 1_200),  # 12 %: below target
            ("hk-4ddddddddd", "too early to tell", "meta", 10, 5),  # 50 % of 10: needs data
        ],
    )
    ideas = winners_source().search("sneaker", limit=5)
    assert [(i.text, i.url, i.preset) for i in ideas] == [
        ("coffee beans explosion", "hook:hk-2bbbbbbbbb", "preset-hk-2bbbbbbbbb"),
        ("neon sneaker wall burst", "hook:hk-1aaaaaaaaa", "preset-hk-1aaaaaaaaa"),
    ]
    assert all(i.source == "winners" and i.model == "openai" for i in ideas)
    assert ideas[0].score == pytest.approx(0.4032, abs=1e-3)  # the Wilson lower bound


def test_winners_search_reads_the_ranking_index_never_scans(metrics_table: Any) -> None:
    _seed(metrics_table, [("hk-1aaaaaaaaa", "neon sneaker wall burst", "meta", 10_000, 3_400)])
    source = winners_source()
    calls: list[tuple[str, str]] = []
    source.ctx.clients["dynamodb"].meta.events.register(
        "provide-client-params.dynamodb.*",
        lambda params, model, **_: calls.append((model.name, params.get("IndexName", ""))),
    )
    assert source.search("x", limit=1)
    assert calls == [("Query", "ByHookRate")] * 3  # one per platform


def test_winners_search_raises_unavailable_when_table_is_missing() -> None:
    with mock_aws(), pytest.raises(ProviderUnavailable, match="metrics table"):
        winners_source().search("x", limit=1)


# ------------------------------------------------------------------------------------------ catalog
def test_catalog_search_returns_matching_prompts_first() -> None:
    ideas = CatalogSource().search("coffee morning", limit=3)
    assert "coffee" in ideas[0].text
    assert all(i.source == "catalog" for i in ideas)


def test_catalog_search_returns_nothing_when_limit_is_zero() -> None:
    assert CatalogSource().search("coffee", limit=0) == []


def test_registry_builds_every_web_source_by_name() -> None:
    handler, _ = answers(httpx.Response(200, json={"images": []}))
    ctx = ctx_with(handler)
    assert {type(inspiration_source(n, ctx)).__name__ for n in ("lexica", "civitai", "winners")} == {
        "LexicaSource",
        "CivitaiSource",
        "WinnersSource",
    }
