"""Image generators on their documented response shapes: OpenAI Images, Stability v2beta, Nova Canvas."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from hookforge.config import Settings
from hookforge.errors import (
    ConfigError,
    ContentRejected,
    ImageInvalid,
    ProviderAuthError,
    ProviderError,
    ProviderThrottled,
    ProviderUnavailable,
)
from hookforge.media import check_image
from hookforge.providers.base import ImageRequest, ProviderContext, image_generator
from hookforge.providers.bedrock_canvas import MODEL_ID, BedrockCanvasImages
from hookforge.providers.openai_images import OpenAIImages
from hookforge.providers.stability import StabilityImages

Handler = Callable[[httpx.Request], httpx.Response]


def png(width: int, height: int, *, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 90)).save(out, format=fmt)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def request(width: int = 1024, height: int = 1024, *, model: str | None = None) -> ImageRequest:
    return ImageRequest(run_id="run-1", index=0, prompt="neon sneaker", width=width, height=height, model=model)


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    queue = list(responses)
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def ctx_with(handler: Handler | None = None, *, keys: dict[str, str] | None = None) -> ProviderContext:
    known = {"OPENAI_API_KEY": "sk-openai-test", "STABILITY_API_KEY": "sk-stab-test"} if keys is None else keys

    def secret(env_var: str, secret_name: str) -> str:
        if env_var in known:
            return known[env_var]
        raise ConfigError(f"missing API key: set the environment variable {env_var} (or the secret {secret_name!r})")

    http = httpx.Client(transport=httpx.MockTransport(handler)) if handler else None
    # the process's settings, as every handler parses them (model choices come from the environment)
    return ProviderContext(settings=Settings.from_env(), store=None, http=http, secret=secret)  # type: ignore[arg-type]


def openai(handler: Handler, **kwargs: Any) -> OpenAIImages:
    kwargs.setdefault("model", "gpt-image-1.5")
    return OpenAIImages(ctx_with(handler), sleep=lambda _s: None, **kwargs)


def stability(handler: Handler, **kwargs: Any) -> StabilityImages:
    return StabilityImages(ctx_with(handler), sleep=lambda _s: None, **kwargs)


def openai_ok(data: bytes) -> httpx.Response:
    return httpx.Response(200, json={"created": 1764000000, "data": [{"b64_json": b64(data)}], "usage": {}})


def stability_ok(data: bytes, *, finish: str = "SUCCESS") -> httpx.Response:
    return httpx.Response(200, json={"image": b64(data), "finish_reason": finish, "seed": 1234})


# ------------------------------------------------------------------------------------------- openai
def test_openai_generate_posts_configured_model_and_returns_verified_png() -> None:
    handler, seen = answers(openai_ok(png(1024, 1024)))
    image = openai(handler, quality="low").generate(request())
    body = json.loads(seen[0].content)
    assert seen[0].url == "https://api.openai.com/v1/images/generations"
    assert seen[0].headers["authorization"] == "Bearer sk-openai-test"
    assert body == {"model": "gpt-image-1.5", "prompt": "neon sneaker", "n": 1, "size": "1024x1024", "quality": "low"}
    assert check_image(image.data).width == 1024
    assert (image.model, image.cost_usd, image.placeholder) == ("gpt-image-1.5", 0.011, False)


def test_openai_generate_uses_model_from_environment_when_brief_names_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_IMAGE_MODEL", "dall-e-3")
    handler, seen = answers(openai_ok(png(1024, 1024)))
    image = OpenAIImages(ctx_with(handler), sleep=lambda _s: None).generate(request())
    body = json.loads(seen[0].content)
    assert (body["model"], body["quality"], body["response_format"]) == ("dall-e-3", "standard", "b64_json")
    assert image.cost_usd == 0.04


def test_openai_generate_prefers_brief_model_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_IMAGE_MODEL", "dall-e-3")
    handler, seen = answers(openai_ok(png(1024, 1024)))
    OpenAIImages(ctx_with(handler), sleep=lambda _s: None).generate(request(model="gpt-image-2"))
    assert json.loads(seen[0].content)["model"] == "gpt-image-2"


def test_openai_generate_uses_the_current_model_when_none_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no model in the brief or the environment (issue 13: default to the current image model)
    monkeypatch.delenv("OPENAI_IMAGE_MODEL", raising=False)
    handler, seen = answers(openai_ok(png(1024, 1024)))
    # When a still is generated
    image = OpenAIImages(ctx_with(handler), sleep=lambda _s: None).generate(request())
    # Then gpt-image-2 was asked, at its medium-quality list price
    assert json.loads(seen[0].content)["model"] == "gpt-image-2"
    assert (image.model, image.cost_usd) == ("gpt-image-2", 0.07)


def test_openai_gpt_image_2_takes_flexible_sizes_priced_by_area_and_refuses_others() -> None:
    provider = OpenAIImages(ctx_with(), model="gpt-image-2", sleep=lambda _s: None)
    # A 9:16 size in multiples of 16 is accepted and costs the square price scaled by area
    body, cost = provider.plan(request(width=1088, height=1920))
    assert (body["size"], cost) == ("1088x1920", round(0.07 * 1088 * 1920 / 1024**2, 3))
    # A side that is not a multiple of 16 is refused before any call, naming the rule
    with pytest.raises(ConfigError, match="multiple of 16 up to 3840"):
        provider.plan(request(width=1000, height=1000))


@pytest.mark.parametrize("model", ["gpt-image-1.5", "gpt-image-1-mini", "dall-e-3"])
def test_openai_preflight_refuses_a_shut_down_model_naming_the_current_one(model: str) -> None:
    with pytest.raises(ConfigError, match=f"shut {model} down.*gpt-image-2"):
        OpenAIImages(ctx_with(), model=model, sleep=lambda _s: None).ready()


def test_openai_preflight_needs_the_key_but_calls_nothing() -> None:
    handler, seen = answers(openai_ok(png(1024, 1024)))
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIImages(ctx_with(handler, keys={}), model="gpt-image-2", sleep=lambda _s: None).ready()
    OpenAIImages(ctx_with(handler), model="gpt-image-2", sleep=lambda _s: None).ready()
    assert seen == []


@pytest.mark.parametrize(
    ("model", "size", "quality", "match"),
    [
        ("gpt-image-1.5", (1792, 1024), None, "cannot make 1792x1024"),
        ("dall-e-3", (1536, 1024), None, "cannot make 1536x1024"),
        ("gpt-image-1.5", (1024, 1024), "hd", "no quality 'hd'"),
        ("midjourney-v7", (1024, 1024), None, "not a known family"),
    ],
)
def test_openai_generate_raises_config_error_before_calling_when_size_or_quality_invalid(
    model: str, size: tuple[int, int], quality: str | None, match: str
) -> None:
    handler, seen = answers(openai_ok(png(*size)))
    with pytest.raises(ConfigError, match=match):
        openai(handler, model=model, quality=quality).generate(request(*size))
    assert seen == []


def test_openai_generate_raises_config_error_naming_key_when_key_missing() -> None:
    handler, _ = answers(openai_ok(png(1024, 1024)))
    provider = OpenAIImages(ctx_with(handler, keys={}), model="gpt-image-1.5", sleep=lambda _s: None)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        provider.generate(request())


@pytest.mark.parametrize("code", ["content_policy_violation", "moderation_blocked"])
def test_openai_generate_raises_content_rejected_without_retry_when_policy_blocks(code: str) -> None:
    error = {
        "error": {
            "message": "Your request was rejected by the safety system.",
            "type": "image_generation_user_error",
            "code": code,
        }
    }
    handler, seen = answers(httpx.Response(400, json=error))
    with pytest.raises(ContentRejected, match="safety system"):
        openai(handler).generate(request())
    assert len(seen) == 1


def test_openai_generate_raises_provider_error_when_other_400() -> None:
    error = {"error": {"message": "Invalid size", "type": "invalid_request_error", "code": "invalid_value"}}
    handler, _ = answers(httpx.Response(400, json=error))
    with pytest.raises(ProviderError, match="Invalid size") as info:
        openai(handler).generate(request())
    assert not isinstance(info.value, ContentRejected)


# ------------------------------------------------------------------------------------------ stability
def test_stability_generate_posts_multipart_and_returns_verified_png() -> None:
    handler, seen = answers(stability_ok(png(1024, 1024)))
    image = stability(handler).generate(request())
    sent = seen[0]
    assert sent.url == "https://api.stability.ai/v2beta/stable-image/generate/core"
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["authorization"] == "Bearer sk-stab-test"
    content = sent.content.decode("latin-1")
    for field, value in (("prompt", "neon sneaker"), ("aspect_ratio", "1:1"), ("output_format", "png")):
        assert f'name="{field}"\r\n\r\n{value}\r\n' in content
    assert (image.model, image.seed, image.cost_usd) == ("core", 1234, 0.03)


def test_stability_generate_routes_sd3_models_and_scales_fixed_output_to_requested_size() -> None:
    handler, seen = answers(stability_ok(png(768, 1344)))  # sd3's 9:16 output size
    image = stability(handler).generate(request(720, 1280, model="sd3.5-large"))
    assert seen[0].url.path.endswith("/generate/sd3")
    assert 'name="model"\r\n\r\nsd3.5-large\r\n' in seen[0].content.decode("latin-1")
    assert 'name="aspect_ratio"\r\n\r\n9:16\r\n' in seen[0].content.decode("latin-1")
    assert (check_image(image.data).width, check_image(image.data).height) == (720, 1280)
    assert image.cost_usd == pytest.approx(0.065)


def test_stability_generate_reads_raw_image_answer() -> None:
    raw = httpx.Response(
        200, content=png(1024, 1024), headers={"content-type": "image/png", "finish-reason": "SUCCESS", "seed": "77"}
    )
    handler, _ = answers(raw)
    assert stability(handler).generate(request()).seed == 77


def test_stability_generate_raises_content_rejected_when_finish_reason_is_content_filtered() -> None:
    handler, _ = answers(stability_ok(png(1024, 1024), finish="CONTENT_FILTERED"))
    with pytest.raises(ContentRejected, match="CONTENT_FILTERED"):
        stability(handler).generate(request())


def test_stability_generate_raises_content_rejected_when_moderation_answers_403() -> None:
    body = {
        "id": "abc",
        "name": "content_moderation",
        "errors": ["Your request was flagged by our content moderation system"],
    }
    handler, seen = answers(httpx.Response(403, json=body))
    with pytest.raises(ContentRejected, match="flagged"):
        stability(handler).generate(request())
    assert len(seen) == 1


def test_stability_generate_raises_config_error_when_size_has_no_supported_ratio() -> None:
    handler, seen = answers(stability_ok(png(1024, 1024)))
    with pytest.raises(ConfigError, match="ratios"):
        stability(handler).generate(request(1024, 300))
    assert seen == []


# ------------------------------------------------------------------------- shared failure matrix (HTTP)
HTTP_PROVIDERS = {
    "openai": (openai, openai_ok),
    "stability": (stability, stability_ok),
}


@pytest.fixture(params=sorted(HTTP_PROVIDERS))
def http_provider(request: pytest.FixtureRequest) -> tuple[Callable[..., Any], Callable[[bytes], httpx.Response]]:
    return HTTP_PROVIDERS[request.param]


def test_http_provider_raises_auth_error_naming_key_when_401(http_provider: Any) -> None:
    make, _ok = http_provider
    handler, seen = answers(httpx.Response(401, json={"error": {"message": "Incorrect API key provided"}}))
    with pytest.raises(ProviderAuthError, match="API_KEY") as info:
        make(handler).generate(request())
    assert "sk-" not in str(info.value)
    assert len(seen) == 1


def test_http_provider_retries_when_429_then_succeeds(http_provider: Any) -> None:
    make, ok = http_provider
    handler, seen = answers(httpx.Response(429, json={"error": {"message": "rate limit"}}), ok(png(1024, 1024)))
    assert check_image(make(handler).generate(request()).data).width == 1024
    assert len(seen) == 2


def test_http_provider_raises_unavailable_when_5xx_exhausts_retries(http_provider: Any) -> None:
    make, _ok = http_provider
    handler, seen = answers(httpx.Response(502, text="bad gateway"))
    with pytest.raises(ProviderUnavailable, match="HTTP 502"):
        make(handler).generate(request())
    assert len(seen) == 2


def test_http_provider_raises_unavailable_when_it_times_out(http_provider: Any) -> None:
    make, _ok = http_provider
    handler, _ = answers(httpx.ReadTimeout("no answer"))
    with pytest.raises(ProviderUnavailable, match="did not answer"):
        make(handler).generate(request())


def test_http_provider_raises_provider_error_when_json_is_malformed(http_provider: Any) -> None:
    make, _ok = http_provider
    handler, _ = answers(httpx.Response(200, text='{"data": [', headers={"content-type": "application/json"}))
    with pytest.raises(ProviderError, match="not JSON"):
        make(handler).generate(request())


def test_http_provider_raises_provider_error_when_base64_is_invalid(http_provider: Any) -> None:
    make, ok = http_provider
    response = ok(b"")
    body = response.json()
    if "data" in body:
        body["data"][0]["b64_json"] = "!!not-base64!!"
    else:
        body["image"] = "!!not-base64!!"
    handler, _ = answers(httpx.Response(200, json=body))
    with pytest.raises(ProviderError, match="base64"):
        make(handler).generate(request())


def test_http_provider_raises_image_invalid_when_image_is_corrupt(http_provider: Any) -> None:
    make, ok = http_provider
    handler, _ = answers(ok(png(1024, 1024)[:400]))  # truncated PNG
    with pytest.raises(ImageInvalid, match="does not decode"):
        make(handler).generate(request())


def test_http_provider_raises_image_invalid_when_image_is_oversize(http_provider: Any) -> None:
    make, ok = http_provider
    handler, _ = answers(ok(png(1024, 1024)))
    with pytest.raises(ImageInvalid, match="the limit is"):
        make(handler, max_bytes=1000).generate(request())


def test_http_provider_raises_image_invalid_when_shape_differs(http_provider: Any) -> None:
    make, ok = http_provider
    handler, _ = answers(ok(png(1024, 512)))
    with pytest.raises(ImageInvalid, match="expected the shape of 1024x1024"):
        make(handler).generate(request())


def test_http_provider_raises_image_invalid_when_format_is_not_png_jpeg_webp(http_provider: Any) -> None:
    make, ok = http_provider
    handler, _ = answers(ok(png(1024, 1024, fmt="BMP")))
    with pytest.raises(ImageInvalid, match="unsupported image format BMP"):
        make(handler).generate(request())


# ------------------------------------------------------------------------------------------- bedrock
def bedrock_body(payload: Any) -> dict[str, Any]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


@pytest.fixture
def bedrock() -> Any:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stubber:
        yield client, stubber


def canvas(client: Any, **kwargs: Any) -> BedrockCanvasImages:
    # these tests speak Nova Canvas's request shape (a configured model id); Stability's is tested in test_bedrock
    return BedrockCanvasImages(ctx_with(), client=client, model=kwargs.pop("model", MODEL_ID), **kwargs)


def test_bedrock_generate_invokes_nova_canvas_with_text_image_body(bedrock: Any) -> None:
    client, stubber = bedrock
    stubber.add_response(
        "invoke_model",
        bedrock_body({"images": [b64(png(1024, 1024))], "error": None}),
        {"modelId": MODEL_ID, "body": ANY, "contentType": "application/json", "accept": "application/json"},
    )
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-parameter-build.bedrock-runtime.InvokeModel",
        lambda params, **_: sent.append(json.loads(params["body"])),
    )
    image = canvas(client).generate(request())
    stubber.assert_no_pending_responses()
    body = sent[0]
    assert body["taskType"] == "TEXT_IMAGE" and body["textToImageParams"] == {"text": "neon sneaker"}
    config = body["imageGenerationConfig"]
    assert (config["numberOfImages"], config["width"], config["height"], config["cfgScale"]) == (1, 1024, 1024, 6.5)
    assert config["seed"] == image.seed and 0 <= image.seed <= 2_147_483_646
    assert (image.model, image.cost_usd, check_image(image.data).width) == (MODEL_ID, 0.04, 1024)


def test_bedrock_generate_gives_each_candidate_its_own_seed(bedrock: Any) -> None:
    client, stubber = bedrock
    for _ in range(2):
        stubber.add_response("invoke_model", bedrock_body({"images": [b64(png(512, 512))]}))
    first = canvas(client).generate(ImageRequest(run_id="r", index=0, prompt="p", width=512, height=512))
    second = canvas(client).generate(ImageRequest(run_id="r", index=1, prompt="p", width=512, height=512))
    assert first.seed != second.seed


@pytest.mark.parametrize(
    ("code", "message", "error"),
    [
        ("AccessDeniedException", "You don't have access to the model", ProviderAuthError),
        ("ThrottlingException", "Too many requests", ProviderThrottled),
        ("ServiceUnavailableException", "try later", ProviderUnavailable),
        ("ModelTimeoutException", "model timed out", ProviderUnavailable),
        ("ValidationException", "This request has been blocked by our content filters.", ContentRejected),
        ("ValidationException", "width must be a multiple of 16", ProviderError),
    ],
)
def test_bedrock_generate_maps_client_errors_to_named_errors(
    bedrock: Any, code: str, message: str, error: type[Exception]
) -> None:
    client, stubber = bedrock
    stubber.add_client_error("invoke_model", service_error_code=code, service_message=message, http_status_code=400)
    with pytest.raises(error) as info:
        canvas(client).generate(request())
    if error is ProviderError:
        assert type(info.value) is ProviderError


def test_bedrock_generate_succeeds_when_throttled_call_is_retried(bedrock: Any) -> None:
    client, stubber = bedrock
    stubber.add_client_error("invoke_model", service_error_code="ThrottlingException", http_status_code=429)
    stubber.add_response("invoke_model", bedrock_body({"images": [b64(png(1024, 1024))]}))
    provider = canvas(client)
    with pytest.raises(ProviderThrottled):  # the state machine's Retry calls again
        provider.generate(request())
    assert check_image(provider.generate(request()).data).height == 1024


def test_bedrock_generate_raises_unavailable_when_read_times_out() -> None:
    class TimingOut:
        def invoke_model(self, **_: Any) -> Any:
            raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")

    with pytest.raises(ProviderUnavailable, match="in time"):
        canvas(TimingOut()).generate(request())


def test_bedrock_generate_raises_content_rejected_when_answer_carries_error(bedrock: Any) -> None:
    client, stubber = bedrock
    stubber.add_response("invoke_model", bedrock_body({"images": [], "error": "Generated images were filtered"}))
    with pytest.raises(ContentRejected, match="filtered"):
        canvas(client).generate(request())


def test_bedrock_generate_raises_provider_error_when_body_is_malformed(bedrock: Any) -> None:
    client, stubber = bedrock
    stubber.add_response("invoke_model", bedrock_body(b'{"images": [tru'))
    with pytest.raises(ProviderError, match="not JSON"):
        canvas(client).generate(request())


@pytest.mark.parametrize(
    ("data", "kwargs", "match"),
    [
        (png(1024, 1024)[:300], {}, "does not decode"),
        (png(1024, 1024), {"max_bytes": 1000}, "the limit is"),
        (png(1024, 512), {}, "expected the shape"),
    ],
)
def test_bedrock_generate_raises_image_invalid_when_image_is_corrupt_oversize_or_wrong_shape(
    bedrock: Any, data: bytes, kwargs: dict[str, Any], match: str
) -> None:
    client, stubber = bedrock
    stubber.add_response("invoke_model", bedrock_body({"images": [b64(data)]}))
    with pytest.raises(ImageInvalid, match=match):
        canvas(client, **kwargs).generate(request())


@pytest.mark.parametrize(
    ("size", "match"), [((1000, 1000), "multiple of 16"), ((4096, 4096), "4,194,304"), ((320, 2048), "1:4")]
)
def test_bedrock_generate_raises_config_error_before_calling_when_size_unsupported(
    bedrock: Any, size: tuple[int, int], match: str
) -> None:
    client, stubber = bedrock
    with pytest.raises(ConfigError, match=match):
        canvas(client).generate(request(*size))
    stubber.assert_no_pending_responses()


def test_registry_builds_every_image_provider_by_name() -> None:
    ctx = ctx_with(answers(httpx.Response(500))[0])
    names = {type(image_generator(n, ctx)).__name__ for n in ("openai", "stability", "bedrock")}
    assert names == {"OpenAIImages", "StabilityImages", "BedrockCanvasImages"}
