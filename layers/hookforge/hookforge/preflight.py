"""Preflight: before the first paid call, every provider a brief names is checked, and the plan is recorded.

ValidateBrief calls `preflight` right after the brief is valid. Each provider with a `ready()` method is asked
whether it can work (its key is there, its model is served: OpenAI's model is not shut down, a Bedrock model is
ACTIVE per GetFoundationModel); nothing is generated and nothing is paid for. Then:

- a step whose only provider is not ready ends the run at once: `ProviderNotReady` (or `ModelRetired`), so a
  `["runway"]` brief without a key fails before any still is made or a person picks one;
- a chain with a provider that is not ready skips it and *announces* the fallback (`Plan.fallbacks`, which
  ValidateBrief records on the run and in `fallbacks.json`);
- the plan says which provider does each step, what the whole run should cost (list prices and our estimates,
  labelled so) and which fallbacks remain; a `budget.max_usd` below that estimate is `BudgetExceeded`;
- a brief with `launch` needs the Meta ad account (`META_AD_ACCOUNT_ID`) and the token (`META_ACCESS_TOKEN`, else
  the secret `hookforge/ad-platforms/meta`, whose existence is checked with DescribeSecret: ValidateBrief never
  reads a token that can create ads) before anything is paid for, else `ProviderNotReady` naming what to set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from hookforge.errors import BudgetExceeded, ConfigError, ModelRetired, ProviderAuthError, ProviderNotReady
from hookforge.models import Brief
from hookforge.providers.base import ProviderContext, image_generator, video_generator


class StepPlan(BaseModel):
    """Who does one step, what it should cost, and what stands behind it."""

    step: str
    provider: str
    model: str | None = None
    estimated_usd: float = 0.0
    #: providers of the chain after `provider`, tried if it fails at run time
    fallbacks: list[str] = Field(default_factory=list)
    #: providers skipped by preflight, with the reason
    skipped: dict[str, str] = Field(default_factory=dict)


class Plan(BaseModel):
    steps: list[StepPlan]
    #: the whole run's expected spend (one round of candidates and one clip), USD; an estimate
    estimated_usd: float
    #: each regenerate round adds this (another set of candidates)
    per_round_usd: float = 0.0
    #: announcements: providers preflight skipped, as one line each
    fallbacks: list[str] = Field(default_factory=list)
    #: where the finished hook is launched (the brief's `launch`), as one line; "" when it is not
    launch: str = ""

    def lines(self) -> list[str]:
        """The plan as lines for a terminal, the run record and the notification."""
        out = []
        for s in self.steps:
            model = f" ({s.model})" if s.model else ""
            behind = f"; fallbacks: {', '.join(s.fallbacks)}" if s.fallbacks else ""
            out.append(f"{s.step}: {s.provider}{model}, about ${s.estimated_usd:.2f}{behind}")
        if self.launch:
            out.append(self.launch)
        out.append(f"estimated cost of the run: ${self.estimated_usd:.2f} (list prices and estimates)")
        return out + self.fallbacks


_NOT_READY = (ConfigError, ProviderAuthError)


def _ready(check: Callable[[], Any] | None) -> str | None:
    """None when the provider is ready (or has nothing to check); else the reason it is not."""
    if check is None:
        return None
    try:
        check()
    except _NOT_READY as e:
        return f"{e.name}: {e}"
    return None


def preflight(brief: Brief, ctx: ProviderContext) -> Plan:
    """Check every provider of the brief without paying for anything; the plan, or a named error."""
    steps: list[StepPlan] = []
    per_round = 0.0
    if not brief.brings_images:
        steps.append(_images(brief, ctx))
        per_round = steps[-1].estimated_usd
    steps.append(_video(brief, ctx))
    total = round(sum(s.estimated_usd for s in steps), 2)
    fallbacks = [
        f"fallback: {s.step} skips {name} ({reason}); {s.provider} will do it"
        for s in steps
        for name, reason in s.skipped.items()
    ]
    launch = _launch(brief, ctx)
    plan = Plan(steps=steps, estimated_usd=total, per_round_usd=round(per_round, 2), fallbacks=fallbacks, launch=launch)
    if brief.budget is not None and total > brief.budget.max_usd:
        raise BudgetExceeded(
            f"budget.max_usd is ${brief.budget.max_usd:.2f}, below this brief's cheapest plan: about ${total:.2f} "
            f"({'; '.join(f'{s.step} ${s.estimated_usd:.2f} at {s.provider}' for s in steps)}); nothing was spent"
        )
    return plan


def _images(brief: Brief, ctx: ProviderContext) -> StepPlan:
    name, model = brief.images.provider, brief.images.model
    generator: Any = image_generator(name, ctx)
    check = getattr(generator, "ready", None)
    reason = _ready((lambda: check(model)) if check is not None else None)
    if reason is not None:
        raise _refusal("images", name, reason)
    width, height = (int(x) for x in brief.images.size.split("x"))
    estimate = getattr(generator, "estimate_usd", None)
    each = float(estimate(width, height, model)) if estimate is not None else 0.0
    return StepPlan(
        step="images",
        provider=name,
        model=model or getattr(generator, "model", None),
        estimated_usd=round(each * brief.images.count, 2),
    )


def _video(brief: Brief, ctx: ProviderContext) -> StepPlan:
    chain = brief.video.providers
    skipped: dict[str, str] = {}
    for i, name in enumerate(chain):
        generator: Any = video_generator(name, ctx)
        reason = _ready(getattr(generator, "ready", None))
        if reason is not None:
            skipped[name] = reason
            continue
        first = name == chain[0]
        model = brief.video.model if first else None
        estimate = getattr(generator, "estimate_usd", None)
        usd = (
            float(estimate(duration=brief.video.duration, model=model, audio=brief.video.audio and first))
            if estimate is not None
            else 0.0
        )
        return StepPlan(
            step="video",
            provider=name,
            model=model or getattr(generator, "model_id", None),
            estimated_usd=usd,
            fallbacks=list(chain[i + 1 :]),
            skipped=skipped,
        )
    if len(chain) == 1:
        raise _refusal("video", chain[0], skipped[chain[0]])
    listed = "; ".join(f"{name}: {reason}" for name, reason in skipped.items())
    raise ProviderNotReady(f"video.providers: none of {', '.join(chain)} can run ({listed}); nothing was spent")


def _refusal(step: str, name: str, reason: str) -> ConfigError:
    field = "images.provider" if step == "images" else "video.providers"
    message = f"{field}: {name}, the only {step} provider, cannot run ({reason}); nothing was spent"
    if reason.startswith(ModelRetired.__name__):
        return ModelRetired(message)
    return ProviderNotReady(message)


_LAUNCH_HINT = "Set the variable or secret named in the message, or drop `launch` from the brief."


def _launch(brief: Brief, ctx: ProviderContext) -> str:
    """The brief's launch can happen: the ad account is set and the token is there (never read: see the docstring)."""
    if brief.launch is None:
        return ""
    from hookforge.metrics.sync.meta import SECRET_NAME, TOKEN_VAR

    account = ctx.settings.meta_ad_account_id
    if not account:
        raise ProviderNotReady(
            "launch.meta: no Meta ad account to create the ad in: set META_AD_ACCOUNT_ID (in AWS: the stack "
            "parameter MetaAdAccountId); nothing was spent",
            hint=_LAUNCH_HINT,
        )
    token = ctx.settings.api_keys.get(TOKEN_VAR)
    if not (token is not None and token.get_secret_value()) and not _secret_exists(ctx, SECRET_NAME):
        raise ProviderNotReady(
            f"launch.meta: no Meta access token: set {TOKEN_VAR} (in AWS: the secret {SECRET_NAME!r}, a system-user "
            "token with ads_management); nothing was spent",
            hint=_LAUNCH_HINT,
        )
    return (
        f"launch: a PAUSED Meta ad in ad set {brief.launch.meta.adset_id} of act_{account.removeprefix('act_')} "
        "once the hook is ready (spend stays off)"
    )


def _secret_exists(ctx: ProviderContext, name: str) -> bool:
    """DescribeSecret: the secret's metadata only, never its value; one scheduled for deletion counts as missing."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        described = ctx.client("secretsmanager").describe_secret(SecretId=name)
    except ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code == "ResourceNotFoundException":
            return False
        raise ProviderNotReady(
            f"launch.meta: the secret {name!r} could not be checked ({code}); nothing was spent", hint=_LAUNCH_HINT
        ) from e
    except BotoCoreError as e:
        raise ProviderNotReady(
            f"launch.meta: the secret {name!r} could not be checked ({type(e).__name__}); nothing was spent",
            hint=_LAUNCH_HINT,
        ) from e
    return "DeletedDate" not in described
