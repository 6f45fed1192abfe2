"""Hook text and captions: placement inside the safe zones, line wrapping with real font metrics, ASS captions.

Overlay text is untrusted. `drawtext` never sees it in the filter graph: it travels in a `textfile`
with `expansion=none`, so quotes, colons, backslashes and `%{...}` stay literal. Captions go through
libass, whose override syntax (`{...}`, `\\N`) is neutralised by `ass_escape`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from hookforge.effects.safezones import Rect
from hookforge.effects.specs import CaptionsSpec, TextSpec
from hookforge.errors import EffectsInvalid
from hookforge.media import FONT_PATH

MAX_TEXT_CHARS = 200


def clean_text(text: str) -> str:
    """Untrusted text made printable: control characters become spaces, length is bounded."""
    cleaned = "".join(
        " " if unicodedata.category(ch).startswith("C") and ch != "\n" else ch for ch in text.replace("\r\n", "\n")
    )
    cleaned = "\n".join(" ".join(line.split()) for line in cleaned.split("\n")).strip()
    if len(cleaned) > MAX_TEXT_CHARS:
        raise EffectsInvalid(f"the hook text is {len(cleaned)} characters; keep it to {MAX_TEXT_CHARS} or fewer")
    return cleaned


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def text_width(text: str, size: int) -> float:
    """Advance width in pixels of `text` in the shipped font at pixel `size` (what drawtext uses)."""
    return float(_font(size).getlength(text))


def wrap(text: str, size: int, max_width: float) -> list[str]:
    """Greedy word wrap by measured width; a word wider than the line is broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}".strip()
            if text_width(candidate, size) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for ch in word:
                if current and text_width(current + ch, size) > max_width:
                    lines.append(current)
                    current = ""
                current += ch
        lines.append(current)
    return lines


@dataclass(frozen=True)
class TextLayout:
    lines: list[str]
    fontsize: int
    x: str
    y: str
    #: the zone the text is centred in (pixels, inside the outline: x0, y0, x1, y1) and the outline's width
    box: tuple[int, int, int, int] = (0, 0, 0, 0)
    outline: int = 0


def _zone_pixels(zone: Rect, width: int, height: int, inset: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = zone.to_pixels(width, height)
    return x0 + inset, y0 + inset, x1 - inset, y1 - inset


def fit_fontsize(text: str, spec: TextSpec, width: int, height: int, zone: Rect) -> int:
    """The font size `spec.size` asks for (a fraction of the shorter side), shrunk until the text fits
    `spec.max_lines` lines across the zone and its lines fit the zone's height."""
    size = max(12, round(spec.size * min(width, height)))
    while size > 12:
        inset = _outline(size, spec)
        x0, y0, x1, y1 = _zone_pixels(zone, width, height, inset)
        lines = wrap(text, size, x1 - x0)
        tall = len(lines) * size * 1.2
        if len(lines) <= spec.max_lines and tall <= y1 - y0:
            break
        size = max(12, int(size * 0.92))
    return size


def _outline(size: int, spec: TextSpec) -> int:
    return max(1, round(size * spec.border)) if spec.border > 0 else 0


def layout_text(
    text: str, spec: TextSpec, width: int, height: int, zone: Rect, *, fontsize: int | None = None
) -> TextLayout:
    """Lines, font size and drawtext position of the hook text inside `zone` (the strictest safe zone of the
    placements this output serves): centred across the zone, at its top, middle or bottom. `fontsize` (else
    `fit_fontsize`) lets every output of one render share one size, so the line reads the same everywhere."""
    size = fontsize or fit_fontsize(text, spec, width, height, zone)
    box = _zone_pixels(zone, width, height, _outline(size, spec))
    lines = wrap(text, size, box[2] - box[0])
    x, y = text_position(spec, box)
    return TextLayout(lines=lines, fontsize=size, x=x, y=y, box=box, outline=_outline(size, spec))


def text_position(spec: TextSpec, box: tuple[int, int, int, int], origin: tuple[int, int] = (0, 0)) -> tuple[str, str]:
    """drawtext `x` and `y`: the text block centred across `box` (x0, y0, x1, y1) at its top, middle or bottom, in
    the coordinates of a picture whose top-left corner is at `origin` of the frame."""
    x0, y0, x1, y1 = box[0] - origin[0], box[1] - origin[1], box[2] - origin[0], box[3] - origin[1]
    y = {
        "top": f"{y0}",
        "center": f"{y0}+({y1 - y0}-text_h)/2",
        "bottom": f"{y1}-text_h",
    }[spec.position]
    return f"{x0}+({x1 - x0}-text_w)/2", y


def alpha_expr(start: float, end: float, fade: float) -> str:
    """drawtext `alpha`: fully opaque from `start` (no fade-in: the hook text is there on its first frame), fading
    out over `fade` seconds before `end` (no quotes needed)."""
    if fade <= 0:
        return "1"
    return f"if(lt(t,{end - fade:.3f}),1,if(lt(t,{end:.3f}),({end:.3f}-t)/{fade:.3f},0))"


# ------------------------------------------------------------------------------------------ captions
_WORD_JOINER = "\u2060"


def ass_escape(text: str) -> str:
    """Make untrusted text literal inside an ASS Dialogue: braces cannot open override blocks and a
    backslash cannot form `\\N`, `\\n` or `\\h` (a zero-width word joiner follows it)."""
    out = text.replace("\n", " ").replace("\\", "\\" + _WORD_JOINER)
    return out.replace("{", "\\{").replace("}", "\\}")


def _ass_color(hex_rgb: str) -> str:
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"&H00{b}{g}{r}".upper()


def _ass_time(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def captions_ass(
    text: str,
    spec: CaptionsSpec,
    width: int,
    height: int,
    duration: float,
    zone: Rect,
    *,
    cues: Sequence[tuple[float, float, str]] | None = None,
) -> str:
    """An ASS script showing `text` a few words at a time inside `zone` (bottom-centred in it).

    `cues` (start, end, words) time the captions from the voiceover's own speech; without them the chunks
    share the clip evenly, the first on frame 0.
    """
    x0, y0, x1, y1 = zone.to_pixels(width, height)
    fontsize = max(12, round(spec.size * min(width, height)))
    margin_v = height - y1
    header = "\n".join(
        [
            "[Script Info]",
            "ScriptType: v4.00+",
            f"PlayResX: {width}",
            f"PlayResY: {height}",
            "WrapStyle: 0",
            "ScaledBorderAndShadow: yes",
            "",
            "[V4+ Styles]",
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
            "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
            "MarginL, MarginR, MarginV, Encoding",
            f"Style: Caption,DejaVu Sans,{fontsize},{_ass_color(spec.color)},{_ass_color(spec.highlight)},"
            f"&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,{max(1, fontsize // 12)},0,2,"
            f"{x0},{width - x1},{margin_v},1",
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        ]
    )
    if cues is None:
        words = text.split()
        chunks = [" ".join(words[i : i + spec.words_per_caption]) for i in range(0, len(words), spec.words_per_caption)]
        step = duration / len(chunks) if chunks else duration
        cues = [(i * step, min(duration, (i + 1) * step), chunk) for i, chunk in enumerate(chunks)]
    events = [
        f"Dialogue: 0,{_ass_time(start)},{_ass_time(min(end, duration))},Caption,,0,0,0,,{ass_escape(words)}"
        for start, end, words in cues
        if start < duration
    ]
    return header + "\n" + "\n".join(events) + "\n"


def write_text_file(path: Path, lines: list[str]) -> Path:
    """The file drawtext reads (no trailing newline: it would add an empty line to the box)."""
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
