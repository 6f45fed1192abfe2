"""ApplyEffects: render the ad-ready hooks with their sound, poster and preview (step 5; the container Lambda)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hookforge.deps import Deps
from hookforge.effects import render
from hookforge.effects.mix import SPEECH_AT, Soundtrack
from hookforge.effects.sound import check_music
from hookforge.errors import VideoInvalid, VoiceoverInvalid
from hookforge.ledger import announcements
from hookforge.models import ApplyEffectsInput, EffectsSpec, HookRender
from hookforge.observability import logger
from hookforge.steps.validate_brief import check_music_object
from hookforge.storage import run_key

_CONTENT_TYPES = {".gif": "image/gif", ".webp": "image/webp", ".jpg": "image/jpeg"}


def _soundtrack(event: ApplyEffectsInput, deps: Deps, tmp: Path) -> tuple[Soundtrack, list[tuple[float, float, str]]]:
    """The music and the spoken line, checked (and the line spoken) before anything is rendered."""
    spec: EffectsSpec = event.brief.effects
    if spec.audio == "none":
        return Soundtrack(enabled=False), []
    music, music_seconds = None, 0.0
    if spec.music:
        check_music_object(deps, spec.music)
        music = deps.store.download_file(spec.music, tmp / ("music" + Path(spec.music).suffix))
        music_seconds = check_music(music).duration
    line = spec.spoken_line
    if not line or spec.voiceover is None:
        return Soundtrack(music=music, music_seconds=music_seconds), []
    speaker = deps.speaker
    speech = speaker.synthesize(line, spec.voiceover.voice, tmp / "voice", words_per_caption=3)
    deps.runs.update(
        event.run_id,
        voiceover={"provider": speech.provider, "voice": speech.voice, "characters": speech.characters},
        voiceover_cost_usd=round(speech.cost_usd, 6),
    )
    room = event.brief.video.duration - SPEECH_AT - 0.1
    if speech.duration > room:
        raise VoiceoverInvalid(
            f"effects.voiceover: the spoken line lasts {speech.duration:.1f}s but the hook is "
            f"{event.brief.video.duration}s; shorten the line or lengthen video.duration"
        )
    return Soundtrack(music=music, music_seconds=music_seconds).spoken(speech)


def run(event: ApplyEffectsInput, deps: Deps) -> HookRender:
    if not event.video.raw_key:
        raise VideoInvalid("ApplyEffects needs the finished clip (video.raw_key); the video step did not copy it")
    spec = event.brief.effects
    overrides = dict(spec.overrides)
    if spec.poster_at is not None:
        overrides["output"] = {**overrides.get("output", {}), "poster_at": spec.poster_at}
    # /tmp is reused by warm Lambdas: everything lives in a directory removed on the way out
    with tempfile.TemporaryDirectory(prefix="hookforge-fx-") as tmp:
        soundtrack, cues = _soundtrack(event, deps, Path(tmp))
        source = deps.store.download_file(event.video.raw_key, Path(tmp) / "raw.mp4")
        result = render(
            source,
            Path(tmp) / "out",
            preset=spec.preset,
            aspects=spec.aspects,
            text=spec.text,
            captions=spec.captions,
            overrides=overrides,
            duration=float(event.brief.video.duration),
            focus=spec.focus,
            placements=spec.placements,
            soundtrack=soundtrack,
            cues=cues or None,
        )
        outputs = {
            aspect: deps.store.upload_file(path, run_key(event.run_id, "hooks", path.name), content_type="video/mp4")
            for aspect, path in result.outputs.items()
        }
        poster = deps.store.upload_file(result.poster, run_key(event.run_id, "poster.jpg"), content_type="image/jpeg")
        preview = deps.store.upload_file(
            result.preview,
            run_key(event.run_id, result.preview.name),
            content_type=_CONTENT_TYPES.get(result.preview.suffix, "application/octet-stream"),
        )
    sound = result.sound.describe() if result.sound is not None and soundtrack.enabled else "none"
    deps.runs.update(event.run_id, step="ApplyEffects", outputs=outputs, sound=sound, render_notes=result.notes)
    # fallbacks and cost lead the notes the terminal prints: a provider change is never silent
    notes = [*announcements(deps, event.run_id), *result.notes]
    logger.info(
        "hooks rendered",
        extra={"run_id": event.run_id, "aspects": list(outputs), "preset": spec.preset, "seconds": result.seconds},
    )
    focus = result.focus
    return HookRender(
        preset=spec.preset,
        outputs=outputs,
        poster_key=poster,
        preview_key=preview,
        duration=result.duration,
        sound=sound,
        focus=[round(focus.x, 4), round(focus.y, 4)] if focus else [],
        focus_source=focus.source if focus else "",
        notes=notes,
    )
