"""Render a clip into ad-ready hooks: one ffmpeg invocation, one decode, every aspect via `split`.

The graph is built with ffmpeg-python (argument lists, never a shell string). Shared work — speed ramp,
transition, grade, vignette, grain, end fade — runs once on the source picture; `split` then feeds one branch
per aspect (a crop or blurred fill around the subject, zoom and shake aimed at it, captions, hook text inside the
placements' safe zones, libx264) plus the poster and preview; placements with a blurred fill share the shrinking
of the picture for it and, when they fit it at the same size, its moving foreground. The sound (`mix.py`: mixed,
levelled and encoded to AAC before) is copied into every placement as it was measured.

Every hook opens at full brightness with its text on frame 0 (the feed thumbnail) and lasts the length asked for.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg

from hookforge.effects.focus import Focus, crop_window, keeps_subject, zoom_anchor
from hookforge.effects.inspection import Inspection
from hookforge.effects.mix import SILENT_LUFS, Mixer, MixPlan, Soundtrack, sfx_events
from hookforge.effects.presets import resolve_look
from hookforge.effects.safezones import Rect, text_zone
from hookforge.effects.sound import Loudness
from hookforge.effects.specs import (
    CaptionsSpec,
    Look,
    ReframeSpec,
    ShakeSpec,
    SpeedRampSpec,
    TextSpec,
    TransitionSpec,
    ZoomSpec,
)
from hookforge.effects.text import (
    TextLayout,
    alpha_expr,
    captions_ass,
    clean_text,
    fit_fontsize,
    layout_text,
    text_position,
    write_text_file,
)
from hookforge.errors import EffectsFailed, EffectsInvalid
from hookforge.media import (
    FONT_PATH,
    MediaError,
    VideoInfo,
    ffmpeg_exe,
    run_ffmpeg,
)
from hookforge.observability import logger

ASPECT_SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:5": (1080, 1350),
    "16:9": (1920, 1080),
}

#: shared effects run at most at this size (a 4K upload is scaled down once, before the split)
WORK_MAX_SIDE = 1920
POSTER_WIDTH = 540
PREVIEW_WIDTH = 270
PREVIEW_FPS = 10
PREVIEW_SECONDS = 3.0

#: chroma shifts (U, V) per tint, applied with a lookup table in YUV (no RGB round trip)
_TINTS = {"none": (0, 0), "warm": (-6, 8), "cool": (8, -5), "teal_orange": (5, 6)}
_XFADE = {"flash": "fadewhite", "whip": "slideleft", "fade": "fade"}


@dataclass(frozen=True)
class RenderPlan:
    """One ffmpeg invocation (arguments without the binary) and what it will write."""

    args: list[str]
    outputs: dict[str, Path]
    poster: Path
    preview: Path
    duration: float
    preset: str
    sizes: dict[str, tuple[int, int]]
    temp_files: list[Path]
    focus: Focus
    sound: MixPlan
    notes: list[str]


@dataclass(frozen=True)
class RenderResult:
    outputs: dict[str, Path]
    poster: Path
    preview: Path
    duration: float
    preset: str = ""
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    seconds: float = 0.0
    focus: Focus | None = None
    sound: MixPlan | None = None
    #: what differs from what was asked, and why (e.g. a clip shorter than the brief's duration)
    notes: list[str] = field(default_factory=list)


def output_size(aspect: str, scale: float = 1.0) -> tuple[int, int]:
    """The output size of an aspect, optionally scaled (tests render small); always even."""
    if aspect not in ASPECT_SIZES:
        raise EffectsInvalid(f"unknown aspect ratio {aspect!r}; choose from: {', '.join(ASPECT_SIZES)}")
    width, height = ASPECT_SIZES[aspect]
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


# ------------------------------------------------------------------------------------ time mapping
def ramp_time(spec: SpeedRampSpec, t: float) -> float:
    """Output time of input time `t` under the speed ramp (the integral of 1/speed; monotonic)."""
    k1, k2 = 1 / spec.start_speed, 1 / spec.end_speed
    a, b = spec.ramp_at, spec.ramp_at + spec.ramp_duration
    if t < a:
        extra = 0.0
    elif t < b:
        extra = (t - a) ** 2 / (2 * (b - a))
    else:
        extra = (b - a) / 2 + t - b
    return k1 * t + (k2 - k1) * extra


def _ramp_pts(spec: SpeedRampSpec) -> str:
    k1, k2 = 1 / spec.start_speed, 1 / spec.end_speed
    a, d = spec.ramp_at, spec.ramp_duration
    b = a + d
    return (
        f"({k1:.6f}*T+({k2 - k1:.6f})*if(lt(T,{a:.4f}),0,if(lt(T,{b:.4f}),"
        f"(T-{a:.4f})*(T-{a:.4f})/{2 * d:.4f},{d / 2:.4f}+T-{b:.4f})))/TB"
    )


def _ease(ease: str, p: str) -> str:
    if ease == "linear":
        return p
    if ease == "out":
        return f"(1-(1-{p})*(1-{p})*(1-{p}))"
    return f"({p}*{p}*(3-2*{p}))"


@dataclass(frozen=True)
class Motion:
    """Zoom and shake as expressions of the frame time `t`: a scale factor (zoom plus the margin the shake
    needs) and the shake's offset as a fraction of the frame size."""

    scale: str
    dx: str
    dy: str
    max_scale: float
    #: when zoom and shake have both ended and the frame holds still (None: one of them lasts to the end)
    settle: float | None = None
    #: `scale` once settled, computed as ffmpeg evaluates it (the zoom's end; the shake's margin gone)
    rest_scale: float = 1.0


def motion(zoom: ZoomSpec | None, shake: ShakeSpec | None, duration: float) -> Motion | None:
    if zoom is None and shake is None:
        return None
    z, max_z, dx, dy = "1", 1.0, "0", "0"
    rest, ends = 1.0, []
    if zoom is not None:
        length = zoom.duration if zoom.duration is not None else max(0.04, duration - zoom.at)
        p = f"clip((t-{zoom.at:.4f})/{length:.4f},0,1)"
        z = f"({zoom.start:.4f}+({zoom.end - zoom.start:.4f})*{_ease(zoom.ease, p)})"
        max_z = max(zoom.start, zoom.end)
        # every ease is exactly 1 at the end of its move (p = 1)
        rest = float(f"{zoom.start:.4f}") + float(f"{zoom.end - zoom.start:.4f}") * 1.0
        ends.append(zoom.at + zoom.duration if zoom.duration is not None else None)
    if shake is not None:
        length = shake.duration if shake.duration is not None else max(0.04, duration - shake.at)
        amp = f"({shake.amplitude:.5f}*sin(PI*clip((t-{shake.at:.4f})/{length:.4f},0,1)))"
        f = shake.frequency
        dx = f"{amp}*(0.6*sin(2*PI*{f:.3f}*t)+0.4*sin(2*PI*{1.7 * f:.3f}*t+1.3))"
        dy = f"{amp}*(0.6*sin(2*PI*{1.3 * f:.3f}*t+0.7)+0.4*sin(2*PI*{2.1 * f:.3f}*t+2.1))"
        z = f"({z}+2*{amp})"  # a margin on each side at least as wide as the shake's reach
        max_z += 2 * shake.amplitude
        rest = rest + 2 * (float(f"{shake.amplitude:.5f}") * math.sin(math.pi * 1.0))
        ends.append(shake.at + shake.duration if shake.duration is not None else None)
    settle = None if None in ends else max(e for e in ends if e is not None)
    return Motion(scale=z, dx=dx, dy=dy, max_scale=max_z, settle=settle, rest_scale=rest)


def _even(expr: str) -> str:
    return f"2*trunc(({expr})/2)"


@dataclass(frozen=True)
class _Settled:
    """How `_animated_fit` makes a settled frame by scaling only the part of the picture it shows: `box` (x, y,
    width, height) of the input is scaled to `scaled` and `size` is cropped out of that at `offset`."""

    box: tuple[int, int, int, int]
    scaled: tuple[int, int]
    offset: tuple[int, int]


#: a settled frame is made from a part of the picture only when that part is at most this share of it
_SETTLED_MAX_SHARE = 0.9


def _settled(
    size: tuple[int, int], move: Motion, anchor: tuple[float, float], source: tuple[int, int]
) -> _Settled | None:
    """The same settled frame as the moving path of `_animated_fit`, from less scaling (None when it would not
    be meaningfully less).

    Settled, the moving path scales the whole `source`-sized picture by `move.rest_scale` (each side to `whole`
    pixels) and crops `size` out of it at an offset `crop` rounds to the nearest pixel, then down to even. Here
    the input is first cut to a box around what that crop keeps, with a margin wider than the scaler's filter
    reaches, and the box is scaled by exactly the same ratio: its edges lie on input pixels that ratio maps onto
    whole (even) output pixels, or on the picture's own edges. The scaler then samples the input where the moving
    path samples it (the same step, to within its 1/65536-pixel fixed point), so the frame is the same to a
    level or so (PSNR ~67 dB at 1080p), where cropping the input to the nearest pixel moves the picture by up to
    half an input pixel.
    """
    box, scaled, offset = [], [], []
    share = 1.0
    for out, picture, anchored in zip(size, source, anchor, strict=True):
        whole = 2 * math.trunc((out * move.rest_scale) / 2)  # as the moving path's scale evaluates it
        at = round((whole - out) * float(f"{anchored:.4f}")) & ~1  # as its crop places it
        ratio = Fraction(whole, picture)
        step = 2 * ratio.denominator  # input pixels that land on even output pixels
        margin = math.ceil(4 / min(float(ratio), 1.0)) + 2  # bicubic reaches 2 taps each way, more when shrinking
        low = max(0, math.floor((at / ratio - margin) / step) * step)
        high = min(picture, math.ceil(((at + out) / ratio + margin) / step) * step)
        first, length = int(low * ratio), int((high - low) * ratio)
        box.append((low, high - low))
        scaled.append(length)
        offset.append(at - first)
        share *= (high - low) / picture
    if share > _SETTLED_MAX_SHARE:
        return None
    return _Settled(
        box=(box[0][0], box[1][0], box[0][1], box[1][1]),
        scaled=(scaled[0], scaled[1]),
        offset=(offset[0], offset[1]),
    )


def _animated_fit(
    stream: Any,
    size: tuple[int, int],
    move: Motion | None,
    anchor: tuple[float, float] = (0.5, 0.5),
    flags: str = "bicubic",
    *,
    source: tuple[int, int] | None = None,
    frames: int = 0,
    fps: float = 30.0,
) -> Any:
    """Scale to `size`; with motion, scale each frame to `size` x the motion's factor (eval=frame) and crop
    `size` back out around `anchor` (the subject, as fractions of the picture: the zoom's target stays where it
    is while everything else grows away from it), plus the shake offset.

    Zoom happens at the output resolution in one resampling, in steps of two output pixels (`zoompan` steps
    by whole source pixels, magnified by the upscale: the jitter), and costs little more than the plain scale
    every output needs anyway. `crop` takes only x/y per frame and
    clamps them against its configured input size, so `scale` reports its largest size at configuration
    (t is NaN there) and `crop` gets its offsets from `t` rather than from the changing `iw`.

    Once the motion has settled (a punch-in and its shake end within the first half second) the frame no longer
    moves, and scaling all of it up to crop most of it away again is waste (a 16:9 hook at 1.2x scales 2304x1296
    for 1920x1080). Given the input's `source` size and the stream's length in `frames` at `fps`, the settled
    frames scale only the part of the picture they show (`_settled`: the same frame, to a level) and the moving
    and settled frames are joined with `concat`.
    """
    width, height = size
    if move is None:
        return stream.filter("scale", width, height, flags=flags)
    first_still = math.ceil(move.settle * fps - 1e-6) if move.settle is not None else 0
    settled = _settled(size, move, anchor, source) if source is not None and 0 < first_still < frames - 1 else None
    if settled is None:
        return _moving_fit(stream, size, move, anchor, flags)
    moving, still = _fan(stream, 2)
    moving = _moving_fit(moving.filter("trim", end_frame=first_still), size, move, anchor, flags)
    x, y, w, h = settled.box
    still = (
        still.filter("trim", start_frame=first_still)
        .filter("setpts", "PTS-STARTPTS")
        .filter("crop", w, h, x, y, exact=1)
        .filter("scale", *settled.scaled, flags=flags)
        .filter("crop", width, height, *settled.offset, exact=1)
    )
    return ffmpeg.concat(moving.filter("setsar", 1), still.filter("setsar", 1), v=1, a=0)


def _moving_fit(stream: Any, size: tuple[int, int], move: Motion, anchor: tuple[float, float], flags: str) -> Any:
    """`_animated_fit`'s moving path: every frame scaled to its zoom (eval=frame) and cropped around `anchor`."""
    width, height = size
    big_w, big_h = (2 * math.ceil(d * move.max_scale / 2) + 2 for d in size)
    sw, sh = _even(f"{width}*{move.scale}"), _even(f"{height}*{move.scale}")
    scaled = stream.filter(
        "scale",
        w=f"if(isnan(t),{big_w},{sw})",
        h=f"if(isnan(t),{big_h},{sh})",
        eval="frame",
        flags=flags,
    )
    return scaled.filter(
        "crop",
        width,
        height,
        x=f"if(isnan(t),0,({sw}-{width})*{anchor[0]:.4f}+{width}*{move.dx})",
        y=f"if(isnan(t),0,({sh}-{height})*{anchor[1]:.4f}+{height}*{move.dy})",
    )


def _transition(stream: Any, spec: TransitionSpec, duration: float) -> tuple[Any, float, float | None]:
    """A flash or whip at `spec.at` (length unchanged), or a boomerang (clip + reverse joined by `xfade`).

    Returns the stream, its length and the time of the cut (None for a boomerang), where sound effects land.
    """
    d = min(spec.duration, duration / 3)
    if spec.kind == "boomerang":
        split = stream.filter_multi_output("split", 2)
        fwd, back = split[0], split[1]
        rev = back.filter("reverse").filter("setpts", "PTS-STARTPTS")
        joined = ffmpeg.filter([fwd, rev], "xfade", transition=_XFADE[spec.style], duration=d, offset=duration - d)
        return joined, 2 * duration - d, None
    cut = _cut_at(spec, duration)
    if spec.kind == "flash":
        # the white flash over a cut of one continuous clip: xfade's fadewhite between the clip and itself
        # looks the same but costs a split, and slows every filter after it (~1 s per 5 s of 720p)
        pulse = f"if(between(t,{cut:.4f},{cut + d:.4f}),sin(PI*(t-{cut:.4f})/{d:.4f}),0)"
        # `enable`: outside the flash the frames pass untouched (eq would copy each one and evaluate it per frame)
        flash = stream.filter(
            "eq", brightness=pulse, saturation=f"1-{pulse}", eval="frame", enable=f"between(t,{cut:.4f},{cut + d:.4f})"
        )
        return flash, duration, cut
    split = stream.filter_multi_output("split", 2)
    head, tail = split[0], split[1]
    a = head.filter("trim", end=cut + d).filter("setpts", "PTS-STARTPTS")
    b = tail.filter("trim", start=cut).filter("setpts", "PTS-STARTPTS")
    return ffmpeg.filter([a, b], "xfade", transition=_XFADE["whip"], duration=d, offset=cut), duration, cut


def _cut_at(spec: TransitionSpec, duration: float) -> float:
    """When a flash or whip over `duration` s of picture cuts (see `_transition`)."""
    return min(duration * spec.at, duration - 2 * min(spec.duration, duration / 3))


def cut_time(look: Look, timing: Timing) -> float | None:
    """When the look's transition cuts, where its sound effect lands; None without a cut (none, or a boomerang)."""
    spec = look.transition
    if spec is None or spec.kind == "boomerang":
        return None
    return _cut_at(spec, timing.duration)


def centre_crop(src: tuple[int, int], aspect: float) -> tuple[int, int]:
    """The largest even-sized region of `src` with the given aspect (width / height)."""
    src_w, src_h = src
    if src_w / src_h > aspect:
        return max(2, round(src_h * aspect / 2) * 2), src_h - src_h % 2
    return src_w - src_w % 2, max(2, round(src_w / aspect / 2) * 2)


def reframe_mode(spec: ReframeSpec, src: tuple[int, int], size: tuple[int, int], focus: Focus) -> str:
    """`crop` or `blur` for one output: `auto` crops unless the crop window would cut the subject."""
    if spec.mode != "auto":
        return spec.mode
    window = crop_window(src, size[0] / size[1], focus)
    return "crop" if keeps_subject(src, window, focus) else "blur"


def _fan(stream: Any, n: int) -> list[Any]:
    """`n` copies of a stream: the stream itself, or the branches of one `split` (which passes frames, not copies)."""
    if n == 1:
        return [stream]
    branches = stream.filter_multi_output("split", n)
    return [branches[i] for i in range(n)]


def _foreground_size(src: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """The whole picture fitted inside an output of `size` (the blurred fill's foreground); even."""
    fit = min(size[0] / src[0], size[1] / src[1])
    return round(src[0] * fit / 2) * 2, round(src[1] * fit / 2) * 2


def _background_size(size: tuple[int, int]) -> tuple[int, int]:
    """The small size a blurred fill is made at (an eighth of the output's): blurring it is cheap."""
    return max(2, size[0] // 8 // 2 * 2), max(2, size[1] // 8 // 2 * 2)


def _cover(src: tuple[int, int], small: tuple[int, int]) -> float:
    """The scale factor at which the picture covers `small` (what force_original_aspect_ratio=increase picks)."""
    return max(small[0] / src[0], small[1] / src[1])


def _blurred_backgrounds(
    stream: Any, spec: ReframeSpec, src: tuple[int, int], sizes: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    """The blurred fill of each placement in `sizes`: the picture scaled to cover a small copy of the output, cropped
    to it, blurred, darkened and scaled up.

    The picture is shrunk from full size once, to the largest small copy any placement needs; the other placements
    shrink that one further (a small image: cheap) instead of each shrinking the full picture again.
    """
    smalls = {aspect: _background_size(size) for aspect, size in sizes.items()}
    largest = max(smalls.values(), key=lambda small: _cover(src, small))
    shared = stream.filter("scale", *largest, force_original_aspect_ratio="increase")
    backgrounds = {}
    for (aspect, (small_w, small_h)), copy in zip(smalls.items(), _fan(shared, len(smalls)), strict=True):
        if _cover(src, (small_w, small_h)) != _cover(src, largest):
            copy = copy.filter("scale", small_w, small_h, force_original_aspect_ratio="increase")
        backgrounds[aspect] = (
            copy.filter("crop", small_w, small_h)
            .filter("boxblur", luma_radius=max(1, min(small_w, small_h) * spec.blur // 200), luma_power=2)
            .filter("eq", brightness=-0.08)
            .filter("scale", *sizes[aspect], flags="fast_bilinear")  # it is a blur: the cheapest upscale will do
        )
    return backgrounds


def _reframe(
    picture: Any,
    spec: ReframeSpec,
    src: tuple[int, int],
    sizes: dict[str, tuple[int, int]],
    move: Motion | None,
    focus: Focus,
    *,
    extra: int = 0,
    frames: int = 0,
    fps: float = 30.0,
) -> tuple[dict[str, Any], list[Any]]:
    """Every placement framed from the shared picture (zoom and shake included), and `extra` more branches of the
    picture for other uses.

    A crop keeps a window centred on the subject; where a crop would cut the subject (`reframe_mode`), the whole
    picture is laid over a blurred fill of itself. Placements with a blurred fill share what is the same between them:
    the picture is shrunk for the fills once, and the moving foreground is made once per size (9:16, 1:1 and 4:5 of a
    landscape picture all fit it 1080 px wide) and split, since scaling it is most of a placement's filtering.
    """
    modes = {aspect: reframe_mode(spec, src, size, focus) for aspect, size in sizes.items()}
    blurred = {aspect: size for aspect, size in sizes.items() if modes[aspect] == "blur"}
    fg_sizes = {aspect: _foreground_size(src, size) for aspect, size in blurred.items()}
    uses = Counter(fg_sizes.values())
    taps = iter(_fan(picture, len(sizes) - len(blurred) + len(uses) + bool(blurred) + extra))
    framed: dict[str, Any] = {}
    for aspect, (width, height) in sizes.items():
        if modes[aspect] == "crop":
            # crop the source first (a window centred on the subject), then scale only what is kept (scaling the
            # whole frame up first costs ~3x); a zoom aims at the subject inside that window
            x, y, crop_w, crop_h = crop_window(src, width / height, focus)
            cropped = next(taps).filter("crop", crop_w, crop_h, x, y)
            anchor = zoom_anchor(src, (x, y, crop_w, crop_h), focus)
            fit = _animated_fit(cropped, (width, height), move, anchor, source=(crop_w, crop_h), frames=frames, fps=fps)
            framed[aspect] = fit.filter("setsar", 1)
    if blurred:
        foregrounds = {
            size: iter(
                _fan(_animated_fit(next(taps), size, move, (focus.x, focus.y), source=src, frames=frames, fps=fps), n)
            )
            for size, n in uses.items()
        }
        backgrounds = _blurred_backgrounds(next(taps), spec, src, blurred)
        for aspect in blurred:
            fg = next(foregrounds[fg_sizes[aspect]])
            framed[aspect] = ffmpeg.overlay(backgrounds[aspect], fg, x="(W-w)/2", y="(H-h)/2").filter("setsar", 1)
    return {aspect: framed[aspect] for aspect in sizes}, list(taps)


# ------------------------------------------------------------------------------------------ render
@dataclass(frozen=True)
class Timing:
    """How long the hook lasts and how much of the source it uses.

    `consumed` seconds of the source become `duration` seconds of hook: a speed ramp keeps its shape and is scaled by
    `stretch` so the total is kept; a boomerang plays `consumed` seconds forward then back.
    """

    duration: float
    consumed: float
    stretch: float
    notes: tuple[str, ...] = ()


def plan_timing(look: Look, source_seconds: float, target: float | None = None, *, ramp: bool = True) -> Timing:
    """The hook's length: `target` (the brief's video.duration) when the source can supply it, else what it can."""
    available = min(source_seconds, look.output.max_duration)
    notes: list[str] = []
    if target is not None and target > look.output.max_duration:
        notes.append(f"the preset renders at most {look.output.max_duration:g}s; the hook is that long")
        target = look.output.max_duration
    boomerang = look.transition is not None and look.transition.kind == "boomerang"
    if boomerang:
        assert look.transition is not None
        want = target if target is not None else 2 * available - min(look.transition.duration, available / 3)
        # forward part F, backward part F, joined by an xfade of x: 2F - x = want
        x = min(look.transition.duration, want / 4)
        forward = (want + x) / 2
        if forward > available:
            forward = available
            x = min(look.transition.duration, forward / 3)
            got = 2 * forward - x
            if target is not None:
                notes.append(f"the clip is {source_seconds:.2f}s: the loop lasts {got:.2f}s instead of {target:g}s")
            return Timing(duration=round(got, 4), consumed=forward, stretch=1.0, notes=tuple(notes))
        return Timing(duration=round(want, 4), consumed=forward, stretch=1.0, notes=tuple(notes))
    duration = available if target is None else min(target, available)
    if target is not None and available < target - 0.5 / look.output.fps:
        notes.append(f"the clip is {source_seconds:.2f}s: the hook lasts {available:.2f}s instead of {target:g}s")
    stretch = 1.0
    if look.speed is not None and ramp:
        # the ramp's shape, scaled so `duration` seconds of source make `duration` seconds of hook
        stretch = duration / ramp_time(look.speed, duration)
    return Timing(duration=round(duration, 4), consumed=duration, stretch=stretch, notes=tuple(notes))


def plan_duration(look: Look, source_seconds: float, target: float | None = None) -> float:
    """The rendered length in seconds for a source of `source_seconds` under `look` (see `plan_timing`)."""
    return plan_timing(look, source_seconds, target).duration


def _shared_picture(
    v: Any, look: Look, info: VideoInfo, timing: Timing, *, ramp: bool
) -> tuple[Any, tuple[int, int]]:
    """The work every placement shares, once: trim, speed ramp, working size, frame rate, transition, exact length,
    grade, vignette, grain and end fade. Returns the stream and its size (the cut's time: `cut_time`)."""
    if info.duration > timing.consumed:
        v = v.filter("trim", end=round(timing.consumed, 4))
    v = v.filter("setpts", "PTS-STARTPTS")
    if look.speed is not None and ramp:
        v = v.filter("setpts", f"{timing.stretch:.6f}*{_ramp_pts(look.speed)}")
    src_w, src_h = info.width, info.height
    if max(src_w, src_h) > WORK_MAX_SIDE:
        factor = WORK_MAX_SIDE / max(src_w, src_h)
        src_w, src_h = round(src_w * factor / 2) * 2, round(src_h * factor / 2) * 2
        v = v.filter("scale", src_w, src_h)
    # xfade needs matching size, frame rate and timebase on both inputs
    v = v.filter("fps", look.output.fps).filter("settb", "AVTB").filter("format", "yuv420p").filter("setsar", 1)
    if look.transition is not None:
        picture_seconds = timing.consumed if look.transition.kind == "boomerang" else timing.duration
        v, _, _ = _transition(v, look.transition, picture_seconds)
    d_total = timing.duration
    # every placement lasts exactly the planned length: a last frame held if the picture ends a frame early
    v = v.filter("tpad", stop_mode="clone", stop_duration=1).filter("trim", end=round(d_total, 4))
    if look.grade is not None:
        g = look.grade
        v = v.filter("eq", contrast=g.contrast, saturation=g.saturation, brightness=g.brightness, gamma=g.gamma)
        if g.tint != "none" or g.lift:
            u, w = _TINTS[g.tint]
            lift = round(g.lift * 219)
            v = v.filter(
                "lutyuv",
                y=f"clip(16+{lift}+(val-16)*{(219 - lift) / 219:.4f},16,235)",  # lifted blacks, same whites
                u=f"clip(val+{u},16,240)",
                v=f"clip(val+{w},16,240)",
            )
        if g.curves != "none":  # works in RGB: costs two colour conversions per frame
            v = v.filter("curves", preset=g.curves)
    if look.vignette is not None:
        # no dither: its per-pixel noise costs x264 ~50 % more time for no visible gain after encoding
        v = v.filter("vignette", angle=look.vignette.angle, dither=0)
    if look.grain is not None:
        v = v.filter("noise", alls=look.grain.strength, allf="t+u")
    if look.fade is not None:
        # an end fade only: frame 0 is the thumbnail, at full brightness
        d_out = min(look.fade.fade_out, d_total / 3)
        v = v.filter("fade", type="out", start_time=round(d_total - d_out, 4), duration=d_out, color=look.fade.color)
    return v, (src_w, src_h)


def _sound(
    source: Path,
    look: Look,
    track: Soundtrack,
    *,
    source_sound: bool,
    duration: float,
    cut: float | None,
    work_dir: Path,
    outputs: int,
    source_loudness: Loudness | None = None,
) -> tuple[MixPlan, list[Any], list[Path]]:
    """One mixed, normalized, encoded track for every placement: (how it was made, one stream per output, to copy,
    the files the render reads, to remove after it)."""
    mixer = Mixer(
        look=look,
        duration=duration,
        source_has_sound=source_sound,
        soundtrack=track,
        events=sfx_events(look, duration, cut),
        seamless=look.transition is not None and look.transition.kind == "boomerang",
        work_dir=work_dir,
        source_loudness=source_loudness,
    )
    synthesized = mixer.synthesize()
    try:
        mix_plan = mixer.normalize(source)
    except BaseException:
        if mixer.track is not None:
            mixer.track.unlink(missing_ok=True)
        raise
    finally:
        # the stems are in the premix, and the premix in the encoded track (or the sound failed): the render reads
        # only the track
        for stem in [*synthesized, *([mixer.premixed] if mixer.premixed is not None else [])]:
            stem.unlink(missing_ok=True)
    if not mix_plan.stems or mixer.track is None:
        return mix_plan, [], []
    # the same encoded stream for every placement (copied, not encoded again)
    return mix_plan, [ffmpeg.input(str(mixer.track)).audio] * outputs, [mixer.track]


def _text_canvas(layout: TextLayout, spec: TextSpec, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The even-aligned region of the frame (x, y, width, height) the text block and its outline can reach:
    the zone's width, and a height generous for the block's lines, anchored where the text is (top, centre, bottom
    of the zone); clipped to the frame."""
    width, height = size
    x0, y0, x1, y1 = layout.box
    margin = layout.outline + 4
    line = 1.4 * layout.fontsize + round(layout.fontsize * 0.15)
    tall = math.ceil(len(layout.lines) * line) + 2 * margin
    if spec.position == "top":
        top = y0 - margin
    elif spec.position == "bottom":
        top = y1 + margin - tall
    else:
        top = y0 + (y1 - y0 - tall) // 2
    left, right, bottom = x0 - margin, x1 + margin, top + tall
    left, top = max(0, left) // 2 * 2, max(0, top) // 2 * 2
    right, bottom = min(width, right + right % 2), min(height, bottom + bottom % 2)
    return left, top, right - left, bottom - top


def _draw_text(
    stream: Any,
    canvas: Any,
    text: str,
    spec: TextSpec,
    size: tuple[int, int],
    zone: Rect,
    *,
    fontsize: int,
    shown: tuple[float, float, float],
    path: Path,
    fps: int,
    frames: int,
) -> tuple[Any, Path]:
    """The hook text drawn inside `zone`: read from a file (never the filter graph: it is untrusted), on screen from
    `shown[0]` to `shown[1]`, fading out over `shown[2]`; the hook has `frames` frames at `fps`.

    drawtext runs once, on a transparent patch made from one frame of `canvas` (painted in the outline's colour, so
    the outline's soft edges blend as they would on the picture), and the patch is laid over every frame: drawing
    the outlined glyphs on each frame of each placement cost about as much as the rest of its filtering.
    """
    layout = layout_text(text, spec, *size, zone, fontsize=fontsize)
    text_file = write_text_file(path, layout.lines)
    start, end, fade = shown
    shown_at = f"between(t,{start:.3f},{end:.3f})"
    options: dict[str, Any] = {
        "textfile": str(text_file),
        "expansion": "none",
        "fontfile": str(FONT_PATH),
        "fontsize": layout.fontsize,
        "fontcolor": spec.color,
        "text_align": "center",
        "line_spacing": round(layout.fontsize * 0.15),
    }
    if spec.border > 0:
        options.update(borderw=max(1, round(layout.fontsize * spec.border)), bordercolor=spec.border_color)
    if spec.box:
        # a translucent box under the text does not survive the trip through a patch unchanged: drawn on each frame
        options.update(box=1, boxcolor="black@0.45", boxborderw=round(layout.fontsize * 0.3))
        options.update(x=layout.x, y=layout.y, enable=shown_at, alpha=alpha_expr(start, end, fade))
        return stream.drawtext(**options), text_file
    left, top, width, height = _text_canvas(layout, spec, size)
    # the layout's position, moved into the patch by whole pixels (drawtext rounds the same way)
    options["x"], options["y"] = text_position(spec, layout.box, origin=(left, top))
    paint = spec.border_color if spec.border > 0 else spec.color
    patch = (
        canvas.filter("scale", width, height, flags="neighbor")
        .filter("format", "yuva420p")
        .filter("drawbox", x=0, y=0, w="iw", h="ih", color=f"{paint}@0", t="fill", replace=1)
        .drawtext(**options)
    )
    if fade > 0:
        # a fading text needs the patch on every frame up to its end, and on no frame after the picture's last (the
        # overlay lasts as long as the longer of its inputs)
        shown_frames = min(math.floor(end * fps + 1e-6) + 1, frames)
        patch = (
            patch.filter("loop", loop=shown_frames - 1, size=1)
            .filter("setpts", f"N/({fps}*TB)")
            .filter("fade", type="out", start_time=round(end - fade, 4), duration=fade, alpha=1)
        )
    return ffmpeg.overlay(stream, patch, x=left, y=top, eof_action="repeat", enable=shown_at), text_file


def plan_render(
    source: str | Path,
    out_dir: str | Path,
    *,
    preset: str = "punchy",
    aspects: Sequence[str] = ("9:16",),
    text: str | None = None,
    captions: bool | None = None,
    overrides: dict[str, Any] | None = None,
    size_scale: float = 1.0,
    info: VideoInfo | None = None,
    duration: float | None = None,
    focus: Focus | tuple[float, float] | None = None,
    placements: Sequence[str] | None = None,
    soundtrack: Soundtrack | None = None,
    cues: Sequence[tuple[float, float, str]] | None = None,
    inspection: Inspection | None = None,
) -> RenderPlan:
    """Build the ONE ffmpeg invocation that renders `source` into one MP4 per aspect, a poster and a preview.

    `text` is the hook text (untrusted; drawn literally). `captions=True` burns it in as ASS captions instead
    (default: when the look enables captions), timed by `cues` (the voiceover's) when given. `overrides` change the
    preset (see `resolve_look`). `duration` is the length asked for (the brief's video.duration; default: the
    source's). `focus` is the brief's focus point (fractions) or a found `Focus`; default: found in the first frame.
    `placements` narrows the platforms whose safe zones the text must respect (default: every placement of each
    aspect). `soundtrack` says what sound to mix (default: the clip's own sound or the preset's bed, plus effects).
    Writes the text/caption side files into `out_dir` (listed in `temp_files`). Raises VideoInvalid for
    unusable input and EffectsInvalid for a bad request.
    """
    look = resolve_look(preset, overrides)
    wanted = list(dict.fromkeys(aspects))
    if not wanted:
        raise EffectsInvalid("ask for at least one aspect ratio")
    sizes = {aspect: output_size(aspect, size_scale) for aspect in wanted}
    zones = {aspect: text_zone(aspect, placements) for aspect in wanted}
    hook_text = clean_text(text) if text else ""
    track = soundtrack or Soundtrack()
    if inspection is None:
        inspection = Inspection(source, info=info, focus=focus, sound=track.enabled)
    elif inspection.source != Path(source):
        raise ValueError(f"the inspection is of {inspection.source}, not of {source}")
    early, clip = inspection.early()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fps = look.output.fps
    # the clip's own sound keeps its natural speed: a speed ramp would pitch and smear it, so it is left out
    source_sound = clip is not None and clip.integrated > SILENT_LUFS

    def sound_plan(seen: VideoInfo) -> tuple[Timing, Loudness | None]:
        timing = plan_timing(look, seen.duration, duration, ramp=not source_sound)
        # the clip's measurement stands for its stem when the hook keeps all of it (else the kept part is measured)
        whole = clip if source_sound and clip is not None and seen.duration <= timing.duration + 1 / fps else None
        return timing, whole

    def make_sound(plan: tuple[Timing, Loudness | None]) -> tuple[MixPlan, list[Any], list[Path]]:
        timing, whole = plan
        if not track.enabled:
            return MixPlan(stems=[]), [], []
        return _sound(
            Path(source), look, track, source_sound=source_sound, duration=timing.duration,
            cut=cut_time(look, timing), work_dir=out, outputs=len(wanted), source_loudness=whole,
        )  # fmt: skip

    src = ffmpeg.input(str(source))
    # the sound is made from what the header says while the probe decodes the clip; made again in the rare case
    # the decoded clip plans differently (a header that overstates the clip's length)
    planned = sound_plan(early)
    mix_plan, audio_branches, temp_files = make_sound(planned)
    info = inspection.checked(early, temp_files)
    if sound_plan(info) != planned:
        for temp in temp_files:
            temp.unlink(missing_ok=True)
        planned = sound_plan(info)
        mix_plan, audio_branches, temp_files = make_sound(planned)
    timing = planned[0]
    notes = list(timing.notes)
    if source_sound and look.speed is not None:
        notes.append("the clip has its own sound: the speed ramp is left out so picture and sound stay in sync")
    v, (src_w, src_h) = _shared_picture(src.video, look, info, timing, ramp=not source_sound)
    d_total = timing.duration
    frames = round(d_total * fps)
    # zoom and shake are applied per aspect, inside the scale every output needs anyway
    move = motion(look.zoom, look.shake, d_total)
    notes += mix_plan.notes

    use_captions = bool(hook_text) and (captions if captions is not None else look.captions is not None)
    drawn = bool(hook_text) and not use_captions
    # one more branch when there is text: its first frame is the canvas every placement's text patch is drawn on
    # (a branch of the shared split costs nothing; a split after a placement's own filters would copy its frames)
    patched = drawn and not look.text.box  # see _draw_text
    try:
        subject = inspection.subject.result()
    except BaseException:  # the subject could not be looked for (an unreadable first frame): the sound is not needed
        for temp in temp_files:
            temp.unlink(missing_ok=True)
        raise
    framed, extra = _reframe(
        v, look.reframe, (src_w, src_h), sizes, move, subject, extra=int(patched), frames=frames, fps=fps
    )
    canvases: list[Any] = [None] * len(wanted)
    if patched:
        canvases = _fan(extra[0].filter("trim", end_frame=1), len(wanted))
    caption_spec = look.captions or CaptionsSpec()
    text_end = max(0.0, d_total - look.text.end_before)
    # the text leaves with a fade of its own, or with the picture's end fade when it stays to the end
    text_fade = look.text.fade if look.text.end_before > 0 else 0.0
    if look.fade is not None and look.text.end_before == 0:
        text_fade = min(look.fade.fade_out, d_total / 3)
    # one font size for every output, sized from the shorter side and fitted to the strictest zone
    fontsize = min(fit_fontsize(hook_text, look.text, *sizes[a], zones[a]) for a in wanted) if drawn else 0
    outputs: dict[str, Path] = {}
    nodes = []
    threads_each = encoder_threads(len(wanted))
    poster = out / "poster.jpg"
    preview = out / f"preview.{look.output.preview}"
    poster_at = min(look.output.poster_at, max(0.0, d_total - 1 / fps))
    for i, aspect in enumerate(wanted):
        width, height = sizes[aspect]
        tag = aspect.replace(":", "x")
        a = framed[aspect]
        if use_captions:
            ass = out / f".captions-{tag}.ass"
            script = captions_ass(hook_text, caption_spec, width, height, d_total, zones[aspect], cues=cues)
            ass.write_text(script, encoding="utf-8")
            temp_files.append(ass)
            a = a.filter("ass", filename=str(ass), fontsdir=str(FONT_PATH.parent))
        if drawn:
            a, text_file = _draw_text(
                a, canvases[i], hook_text, look.text, (width, height), zones[aspect], fontsize=fontsize,
                shown=(look.text.start, text_end, text_fade), path=out / f".hook-text-{tag}.txt", fps=fps,
                frames=frames,
            )  # fmt: skip
            temp_files.append(text_file)
        a = a.filter("format", "yuv420p")
        if i == 0:
            tee = a.filter_multi_output("split", 3)
            a, to_poster, to_preview = tee[0], tee[1], tee[2]
            # a window of two frames: only the poster's frame is scaled, not every frame after it
            poster_frame = to_poster.filter("trim", start=round(poster_at, 4), end=round(poster_at + 2 / fps, 4))
            nodes.append(
                ffmpeg.output(
                    poster_frame.filter("scale", POSTER_WIDTH, -2),
                    str(poster),
                    vframes=1,
                    **{"q:v": 3},
                )
            )
            nodes.append(_preview_output(to_preview, preview, look.output.preview, min(PREVIEW_SECONDS, d_total)))
        path = out / f"{tag}.mp4"
        outputs[aspect] = path
        streams = [a] if not audio_branches else [a, audio_branches[i]]
        sound = {"acodec": "copy"} if audio_branches else {"an": None}
        nodes.append(
            ffmpeg.output(
                *streams,
                str(path),
                vcodec="libx264",
                preset=look.output.x264_preset,
                crf=look.output.crf,
                r=fps,
                pix_fmt="yuv420p",
                movflags="+faststart",
                threads=threads_each,
                **sound,
            )
        )
    threads = ["-filter_complex_threads", "1"] if _cores() <= 2 else []
    args = ffmpeg.merge_outputs(*nodes).global_args("-loglevel", "error", *threads).overwrite_output().get_args()
    return RenderPlan(
        args=args,
        outputs=outputs,
        poster=poster,
        preview=preview,
        duration=round(d_total, 3),
        preset=preset,
        sizes=sizes,
        temp_files=temp_files,
        focus=subject,
        sound=mix_plan,
        notes=notes,
    )


def render(
    source: str | Path,
    out_dir: str | Path,
    *,
    progress: Callable[[float], None] | None = None,
    **options: Any,
) -> RenderResult:
    """Render `source` with a preset into one MP4 per aspect (with sound), a poster JPEG and a preview, in ONE
    ffmpeg run. `options` are `plan_render`'s (preset, aspects, text, captions, overrides, duration, focus,
    placements, soundtrack, cues, ...). `progress` is called with the rendered fraction (0-1) while ffmpeg works.
    Raises VideoInvalid for unusable input, EffectsInvalid for a bad request, EffectsFailed if ffmpeg fails.
    """
    started = time.perf_counter()
    plan = plan_render(source, out_dir, **options)
    try:
        if progress is None:
            run_ffmpeg(plan.args)
        else:
            _run_with_progress(plan.args, plan.duration, progress)
    except MediaError as e:
        raise EffectsFailed(f"rendering preset {plan.preset!r} failed: {e}") from e
    finally:
        for temp in plan.temp_files:
            temp.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    logger.info(
        "effects rendered",
        extra={
            "preset": plan.preset,
            "aspects": list(plan.outputs),
            "seconds": round(seconds, 1),
            "sound": plan.sound.describe(),
            "focus": [round(plan.focus.x, 3), round(plan.focus.y, 3)],
            "notes": plan.notes,
        },
    )
    return RenderResult(
        outputs=plan.outputs,
        poster=plan.poster,
        preview=plan.preview,
        duration=plan.duration,
        preset=plan.preset,
        sizes=plan.sizes,
        seconds=seconds,
        focus=plan.focus,
        sound=plan.sound,
        notes=plan.notes,
    )


def encoder_threads(outputs: int) -> int:
    """Threads for each of a render's `outputs` x264 encoders: its share of the cores, at least one.

    The placements' encoders run side by side. Left to its default, each x264 would take 1.5 threads per core: four
    encoders on two cores ran twelve frame threads, whose buffers the kernel zeroes afresh (0.5-2 CPU-s of it) and
    whose hand-offs cost x264 CPU of its own. Measured on 2 cores, four placements: the render's ffmpeg 4.70-4.79 s
    instead of 4.90-5.96 s, the outputs within 0.15 % in size and SSIM 0.9987-0.9997 to the default's; one
    placement keeps both cores (one thread alone was 15-30 % slower).
    """
    return max(1, _cores() // max(1, outputs))


def _cores() -> int:
    """The CPU cores this process may use (a Lambda's share, a container's cpuset).

    On two cores or fewer the render's filters run without slice threads (`-filter_complex_threads 1`): the four
    x264 encoders keep both cores busy, and slicing every filter's frames across threads only adds hand-offs
    (measured on 2 cores: the render's ffmpeg 8-10 % faster in wall and CPU time; a plain encode gains ~2 %).
    With more cores ffmpeg's default stays: there the one filter-graph thread would be what the encoders wait for.
    Each placement's x264 gets an equal share of these cores (`encoder_threads`).
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run_with_progress(args: list[str], duration: float, progress: Callable[[float], None]) -> None:
    """run_ffmpeg, reporting ffmpeg's own `-progress` output (out_time) as a fraction of `duration`."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-progress", "pipe:1", "-nostats", *args]
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and value.isdigit():
                    progress(min(1.0, int(value) / 1e6 / max(duration, 0.001)))
                elif key == "progress" and value == "end":
                    progress(1.0)
            code = proc.wait(timeout=600)
        if code != 0:
            errors.seek(0)
            lines = [x for x in errors.read().decode("utf-8", "replace").splitlines() if x.strip()]
            raise MediaError(f"ffmpeg failed (exit {code}): " + "\n".join(lines[-6:]))


def _preview_output(stream: Any, path: Path, kind: str, seconds: float) -> Any:
    small = (
        stream.filter("trim", end=seconds)
        .filter("fps", PREVIEW_FPS)
        .filter("scale", PREVIEW_WIDTH, -2, flags="bilinear")
    )
    if kind == "webp":
        return ffmpeg.output(small, str(path), vcodec="libwebp_anim", loop=0, quality=60, lossless=0)
    tee = small.filter_multi_output("split", 2)
    frames, for_palette = tee[0], tee[1]
    palette = for_palette.filter("palettegen", max_colors=128, stats_mode="diff")
    return ffmpeg.output(ffmpeg.filter([frames, palette], "paletteuse", dither="bayer"), str(path), loop=0)
