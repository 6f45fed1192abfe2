"""FetchInspiration's fallback chain and GenerateImage's verified, annotated candidates (moto S3/DynamoDB)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws
from PIL import Image

from hookforge.config import Settings
from hookforge.deps import Deps
from hookforge.errors import ConfigError, ContentRejected
from hookforge.models import Brief, FetchInspirationInput, GenerateImageInput, ImageJob, Inspiration, PromptIdea
from hookforge.providers import lexica
from hookforge.providers.http import RetryPolicy
from hookforge.steps import fetch_inspiration, generate_image

RUN = "run-abc123"


@pytest.fixture
def deps() -> Iterator[Deps]:
    settings = Settings()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=settings.artifacts_bucket)
        ddb = boto3.resource("dynamodb", region_name="us-east-1")
        for table in (settings.runs_table, settings.metrics_table):
            ddb.create_table(
                TableName=table,
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                BillingMode="PAY_PER_REQUEST",
            )
        d = Deps(settings=settings, overrides={"s3": s3, "resource:dynamodb": ddb})
        d.runs.start(RUN, brief_key="briefs/x.json")
        yield d


def use_http(deps: Deps, handler: Any) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)  # type: ignore[no-any-return]

    deps.provider_ctx.http = httpx.Client(transport=httpx.MockTransport(recording))
    deps.provider_ctx.secret = secret
    return seen


def secret(env_var: str, secret_name: str) -> str:
    if env_var == "OPENAI_API_KEY":
        return "sk-test"
    raise ConfigError(f"missing API key: set the environment variable {env_var}")


@pytest.fixture
def quick_lexica(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lexica's retry policy without the real backoff sleeps."""
    monkeypatch.setattr(lexica, "POLICY", RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, timeout=1.0))


def brief(**inspiration: Any) -> Brief:
    return Brief.model_validate({"name": "neon-sneaker", "idea": "neon sneaker launch", "inspiration": inspiration})


LEXICA_HIT = {
    "images": [
        {
            "id": "a",
            "prompt": "neon sneaker bursting through paint",
            "promptid": "p1",
            "nsfw": False,
            "src": "https://x/a",
        },
        {
            "id": "b",
            "prompt": "neon sneaker on a pedestal, rim light",
            "promptid": "p2",
            "nsfw": False,
            "src": "https://x/b",
        },
    ]
}


def test_fetch_inspiration_stores_prompts_with_source_and_url_when_lexica_answers(deps: Deps) -> None:
    use_http(deps, lambda r: httpx.Response(200, json=LEXICA_HIT))
    result = fetch_inspiration.run(FetchInspirationInput(run_id=RUN, brief=brief(sources=["lexica"], count=2)), deps)
    stored = deps.store.get_json(result.key)
    assert result.key == f"runs/{RUN}/inspiration.json"
    assert [(p["source"], p["url"]) for p in stored["prompts"]] == [
        ("lexica", "https://lexica.art/prompt/p1"),
        ("lexica", "https://lexica.art/prompt/p2"),
    ]
    assert stored["failures"] == [] and stored["query"] == "neon sneaker launch"


def test_fetch_inspiration_falls_back_to_next_source_when_lexica_keeps_failing(deps: Deps, quick_lexica: None) -> None:
    civitai = {"items": [{"id": 7, "nsfw": False, "nsfwLevel": "None", "meta": {"prompt": "neon sneaker splash"}}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "lexica.art":
            return httpx.Response(504, text="Gateway Timeout")
        return httpx.Response(200, json=civitai)

    seen = use_http(deps, handler)
    result = fetch_inspiration.run(
        FetchInspirationInput(run_id=RUN, brief=brief(sources=["lexica", "civitai"], count=1)), deps
    )
    assert [p.source for p in result.prompts] == ["civitai"]
    assert [r.url.host for r in seen] == ["lexica.art"] * 3 + ["civitai.com"]
    failures = deps.store.get_json(result.key)["failures"]
    assert failures[0]["source"] == "lexica" and failures[0]["error"] == "ProviderUnavailable"


def test_fetch_inspiration_uses_catalog_as_last_resort_when_every_source_fails(deps: Deps, quick_lexica: None) -> None:
    use_http(deps, lambda r: httpx.Response(429))
    result = fetch_inspiration.run(
        FetchInspirationInput(run_id=RUN, brief=brief(sources=["lexica"], count=3, query="sneaker")), deps
    )
    assert result.prompts and {p.source for p in result.prompts} == {"catalog"}
    assert all("sneaker" in p.text for p in result.prompts)  # the catalog keeps only its matching prompts
    assert deps.store.get_json(result.key)["failures"][0]["error"] == "ProviderThrottled"


def test_fetch_inspiration_fills_from_later_sources_without_duplicates(deps: Deps) -> None:
    use_http(deps, lambda r: httpx.Response(200, json={"images": LEXICA_HIT["images"][:1]}))
    result = fetch_inspiration.run(
        FetchInspirationInput(run_id=RUN, brief=brief(sources=["lexica", "winners", "catalog"], count=3)), deps
    )
    assert [p.source for p in result.prompts] == ["lexica", "catalog", "catalog"]
    assert len({p.text for p in result.prompts}) == 3


def test_fetch_inspiration_skips_sources_when_brief_gives_prompt(deps: Deps) -> None:
    seen = use_http(deps, lambda r: httpx.Response(500))
    b = Brief.model_validate({"name": "x", "prompt": "my exact prompt", "inspiration": {"sources": ["lexica"]}})
    result = fetch_inspiration.run(FetchInspirationInput(run_id=RUN, brief=b), deps)
    assert [(p.text, p.source) for p in result.prompts] == [("my exact prompt", "brief")]
    assert seen == []


# --------------------------------------------------------------------------------------- GenerateImage
def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 90)).save(out, format="PNG")
    return out.getvalue()


def image_event(provider: str, *, index: int = 1, size: str = "1024x1024") -> GenerateImageInput:
    b = Brief.model_validate(
        {"name": "neon-sneaker", "images": {"provider": provider, "model": "gpt-image-1.5", "size": size}}
    )
    ideas = [
        PromptIdea(text="first idea", source="catalog", url="catalog:0"),
        PromptIdea(text="second idea", source="lexica", url="https://lexica.art/prompt/p2"),
    ]
    return GenerateImageInput(
        run_id=RUN,
        brief=b,
        job=ImageJob(index=index, provider=provider),
        inspiration=Inspiration(prompts=ideas, key=f"runs/{RUN}/inspiration.json"),
    )


def test_generate_image_stores_candidate_with_provenance_and_cost_metadata(deps: Deps) -> None:
    image = base64.b64encode(png(1024, 1024)).decode()
    use_http(deps, lambda r: httpx.Response(200, json={"data": [{"b64_json": image}]}))
    result = generate_image.run(image_event("openai"), deps)
    assert result.ok and result.candidate is not None
    candidate = result.candidate
    assert candidate.key == f"runs/{RUN}/candidates/r0-2.png"
    assert (candidate.prompt, candidate.model, candidate.cost_usd) == ("second idea", "gpt-image-1.5", 0.042)
    head = deps.store.head(candidate.key)
    assert head is not None and head["ContentType"] == "image/png"
    meta = head["Metadata"]
    assert meta["provider"] == "openai" and meta["cost_usd"] == "0.0420" and meta["prompt"] == "second idea"
    assert (meta["prompt_source"], meta["prompt_url"]) == ("lexica", "https://lexica.art/prompt/p2")


def test_generate_image_propagates_content_rejection_for_the_map_to_catch(deps: Deps) -> None:
    error = {"error": {"message": "rejected by the safety system", "code": "moderation_blocked"}}
    use_http(deps, lambda r: httpx.Response(400, json=error))
    with pytest.raises(ContentRejected):
        generate_image.run(image_event("openai"), deps)
    assert deps.store.list_keys(f"runs/{RUN}/candidates/") == []


def test_generate_image_stores_placeholder_flagged_as_such(deps: Deps) -> None:
    result = generate_image.run(image_event("placeholder", index=0, size="320x320"), deps)
    assert result.candidate is not None and result.candidate.placeholder
    assert deps.store.head(result.candidate.key)["Metadata"]["placeholder"] == "true"  # type: ignore[index]


def test_fetch_inspiration_skips_further_web_sources_when_time_budget_is_spent(deps: Deps, quick_lexica: None) -> None:
    # Given lexica failing slowly enough to spend the chain's time budget
    seen = use_http(deps, lambda r: httpx.Response(504))
    ticks = iter([0.0, 0.0, fetch_inspiration.BUDGET_SECONDS + 1])
    # When the chain goes on
    prompts, failures = fetch_inspiration.gather(
        deps, "coffee", ["lexica", "civitai"], count=2, clock=lambda: next(ticks)
    )
    # Then civitai is not asked, the catalog answers, and the skip is recorded
    assert {r.url.host for r in seen} == {"lexica.art"}
    assert [(f["source"], f["error"]) for f in failures] == [("lexica", "ProviderUnavailable"), ("civitai", "Skipped")]
    assert prompts and {p.source for p in prompts} == {"catalog"}
