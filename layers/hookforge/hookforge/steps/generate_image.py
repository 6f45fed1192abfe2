"""GenerateImage: one candidate still per Map iteration (step 2 of the workflow)."""

from __future__ import annotations

from hookforge import ledger
from hookforge.deps import Deps
from hookforge.errors import ImageInvalid
from hookforge.ledger import check_budget
from hookforge.media import check_image
from hookforge.models import Candidate, GeneratedCandidate, GenerateImageInput, PromptIdea
from hookforge.observability import logger
from hookforge.prompts import decode_feedback, product_of, product_phrase, rewrite_with_feedback
from hookforge.providers.base import ImageRequest, image_generator
from hookforge.providers.catalog import vocabulary
from hookforge.storage import run_key

_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def idea_for(event: GenerateImageInput) -> PromptIdea | None:
    """The inspiration prompt this candidate uses (candidates take the chosen prompts in turn)."""
    prompts = event.inspiration.prompts if event.inspiration else []
    return prompts[event.job.index % len(prompts)] if prompts else None


def prompt_for(event: GenerateImageInput) -> str:
    """The candidate's prompt: the reviewer's edited prompt if there is one, else the inspiration prompt (or the
    brief's) rewritten by the reviewer's feedback - never the feedback appended to the old prompt."""
    feedback, edited = decode_feedback(event.feedback) if event.feedback else ("", None)
    if edited:
        return edited
    idea = idea_for(event)
    base = idea.text if idea else (event.brief.prompt or event.brief.idea)
    if not feedback:
        return base
    query = event.brief.inspiration.query or event.brief.idea or event.brief.name.replace("-", " ")
    return rewrite_with_feedback(base, feedback, product=product_phrase(product_of(query, vocabulary())))


def run(event: GenerateImageInput, deps: Deps) -> GeneratedCandidate:
    width, height = (int(x) for x in event.brief.images.size.split("x"))
    request = ImageRequest(
        run_id=event.run_id,
        index=event.job.index,
        prompt=prompt_for(event),
        width=width,
        height=height,
        model=event.brief.images.model,
        upload_key=event.job.upload_key,
    )
    generator = image_generator(event.job.provider, deps.provider_ctx)
    estimate = getattr(generator, "estimate_usd", None)
    if estimate is not None:
        # before the paid call: a budget it would pass stops the run (BudgetExceeded says what was spent)
        next_usd = float(estimate(width, height, event.brief.images.model))
        check_budget(deps.runs, event.run_id, event.brief, next_usd=next_usd, what="the next candidate still")
    generated = generator.generate(request)
    info = check_image(generated.data)
    if event.job.provider != "upload" and (info.width, info.height) != (width, height):
        raise ImageInvalid(f"{event.job.provider} returned {info.width}x{info.height}, expected {width}x{height}")
    key = run_key(event.run_id, "candidates", f"r{event.round}-{event.job.index + 1}.{_EXT[info.mime]}")
    ledger.record(
        deps.runs,
        event.run_id,
        f"image#r{event.round}-{event.job.index + 1}",
        provider=event.job.provider,
        model=generated.model,
        usd=generated.cost_usd,
        basis="estimate",  # a list price: image APIs answer no charge
    )
    candidate = Candidate(
        index=event.job.index,
        key=key,
        prompt=request.prompt,
        provider=event.job.provider,
        model=generated.model,
        seed=generated.seed,
        width=info.width,
        height=info.height,
        cost_usd=generated.cost_usd,
        placeholder=generated.placeholder,
    )
    idea = idea_for(event)
    metadata = {
        "provider": candidate.provider,
        "model": str(candidate.model),
        "seed": str(candidate.seed),
        "cost_usd": f"{candidate.cost_usd:.4f}",
        "placeholder": str(candidate.placeholder).lower(),
        "prompt_source": idea.source if idea else ("brief" if event.brief.prompt else "idea"),
        "prompt_url": (idea.url or "") if idea else "",
    }
    # S3 user metadata is capped at 2 KB in all: the full prompt travels in the Candidate itself
    deps.store.put_bytes(
        key, generated.data, content_type=info.mime, metadata={**metadata, "prompt": request.prompt[:900]}
    )
    logger.info(
        "candidate stored",
        extra={"run_id": event.run_id, "key": key, "provider": candidate.provider, "cost_usd": candidate.cost_usd},
    )
    return GeneratedCandidate(ok=True, index=event.job.index, candidate=candidate)
