"""Hook text and captions: safe areas per placement, line wrapping with real font metrics, ASS captions.

Overlay text is untrusted. `drawtext` never sees it in the filter graph: it travels in a `textfile`
with `expansion=none`, so quotes, colons, backslashes and `%{...}` stay literal. Captions go through
libass, whose override syntax (`{...}`, `\\N`) is neutralised by `ass_escape`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from hookforge.effects.specs import CaptionsSpec, TextSpec
from hookforge.errors import EffectsInvalid
from hookforge.media import FONT_PATH

MAX_TEXT_CHARS = 200


@dataclass(frozen=True)
class SafeArea:
    """Fractions of the frame that platform UI covers (captions, buttons, profile row)."""

    top: float
    bottom: float
    sides: float


#: 9:16 placements (Reels, TikTok, Shorts) hide the most: the bottom quarter holds captions and buttons
SAFE_AREAS: dict[str, SafeArea] = {
    "9:16": SafeArea(top=0.14, bottom=0.25, sides=0.06),
    "4:5": SafeArea(top=0.08, bottom=0.14, sides=0.06),
    "1:1": SafeArea(top=0.08, bottom=0.12, sides=0.06),
    "16:9": SafeArea(top=0.08, bottom=0.12, sides=0.05),
}


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


def layout_text(text: str, spec: TextSpec, aspect: str, width: int, height: int) -> TextLayout:
    """Font size and position for the hook text in one output: as big as `spec.size` asks, shrunk until it
    fits `spec.max_lines` lines inside the placement's safe area."""
    safe = SAFE_AREAS[aspect]
    max_width = width * (1 - 2 * safe.sides)
    size = max(12, round(spec.size * width))
    while True:
        lines = wrap(text, size, max_width)
        if len(lines) <= spec.max_lines or size <= 12:
            break
        size = max(12, int(size * 0.9))
    y = {
        "top": f"{round(height * safe.top)}",
        "center": "(h-text_h)/2",
        "bottom": f"h-text_h-{round(height * safe.bottom)}",
    }[spec.position]
    return TextLayout(lines=lines, fontsize=size, x="(w-text_w)/2", y=y)


def alpha_expr(start: float, end: float, fade: float) -> str:
    """drawtext `alpha`: fades in at `start` and out at `end` over `fade` seconds (no quotes needed)."""
    if fade <= 0:
        return "1"
    return (
        f"if(lt(t,{start:.3f}),0,if(lt(t,{start + fade:.3f}),(t-{start:.3f})/{fade:.3f},"
        f"if(lt(t,{end - fade:.3f}),1,if(lt(t,{end:.3f}),({end:.3f}-t)/{fade:.3f},0))))"
    )


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


def captions_ass(text: str, spec: CaptionsSpec, aspect: str, width: int, height: int, duration: float) -> str:
    """An ASS script showing `text` a few words at a time, evenly over the clip, inside the safe area."""
    safe = SAFE_AREAS[aspect]
    words = text.split()
    chunks = [" ".join(words[i : i + spec.words_per_caption]) for i in range(0, len(words), spec.words_per_caption)]
    fontsize = max(12, round(spec.size * width))
    margin_v = round(height * safe.bottom) + fontsize // 2
    margin_h = round(width * safe.sides)
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
            f"{margin_h},{margin_h},{margin_v},1",
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        ]
    )
    events = []
    if chunks:
        step = duration / len(chunks)
        for i, chunk in enumerate(chunks):
            start, end = i * step, min(duration, (i + 1) * step)
            events.append(f"Dialogue: 0,{_ass_time(start)},{_ass_time(end)},Caption,,0,0,0,,{ass_escape(chunk)}")
    return header + "\n" + "\n".join(events) + "\n"


def write_text_file(path: Path, lines: list[str]) -> Path:
    """The file drawtext reads (no trailing newline: it would add an empty line to the box)."""
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
