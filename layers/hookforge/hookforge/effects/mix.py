"""The hook's sound: its stems mixed, finished (gain, limiter) and encoded once before the render, which copies the
track into every placement.

Stems: the clip's own sound (when it has audible sound), a music bed (the brief's file, looped with a crossfade
when short, or the preset's bed synthesized from ffmpeg's own sources), a spoken hook line, and sound effects on
the effects' own events (an impact on the punch-in, a whoosh on a whip, a riser into a flash). Each stem is levelled
to a loudness of its own, the music ducks under speech (sidechain compression), and the mix is normalized to the
delivery loudness (-14 LUFS integrated, true peak at most -1 dBTP by default).

Loudness is set by measurement, not by a one-pass `loudnorm` (whose dynamic mode misses on 3-5 s clips): small
audio-only ffmpeg runs measure each stem (EBU R128, `ebur128`), mix the levelled stems once into a float WAV (the
premix), and find the gain and limiter that land the premix, encoded to AAC, on the target. That encoded track is
the one delivered: the render copies it into every placement, so the sound is encoded once, not once per placement
(the AAC encoder costs ~0.1 CPU-s per 5 s), and what was measured is what plays.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg

from hookforge.effects.sound import SAMPLE_RATE, Loudness, bed_source, parse_ebur128, sfx_source
from hookforge.effects.specs import Look
from hookforge.errors import EffectsFailed
from hookforge.media import MediaError, run_ffmpeg

if TYPE_CHECKING:
    from hookforge.voice import Speech

#: stem loudness before the mix (LUFS): speech sits on top, the bed under it, the hits between
SPEECH_LUFS = -16.0
BED_LUFS = -19.0
BED_UNDER_SPEECH_LUFS = -23.0
SFX_LUFS = -17.0
#: quieter than this the clip's own track counts as silent (generated clips often carry an empty track)
SILENT_LUFS = -60.0
#: the voiceover starts this long after frame 0 (the text is already there; the voice follows at once)
SPEECH_AT = 0.1
#: where the limiter starts below the true-peak target (inter-sample peaks; the AAC encoder adds its own, measured)
LIMITER_MARGIN_DB = 1.0
AAC_BITRATE = "192k"


@dataclass(frozen=True)
class SfxEvent:
    kind: str  # "impact" | "whoosh" | "riser"
    at: float  # seconds of the rendered hook


@dataclass(frozen=True)
class Soundtrack:
    """What the render may use for sound. `enabled=False` (effects.audio: "none") renders without an audio track."""

    enabled: bool = True
    #: the brief's music file (already checked with `sound.check_music`) and its length in seconds
    music: Path | None = None
    music_seconds: float = 0.0
    #: the spoken hook line (a WAV) and its length
    speech: Path | None = None
    speech_seconds: float = 0.0

    def spoken(self, speech: Speech) -> tuple[Soundtrack, list[tuple[float, float, str]]]:
        """This soundtrack with `speech` laid over it, and the caption cues in hook time (the voice starts at
        SPEECH_AT)."""
        cues = [(SPEECH_AT + c.start, SPEECH_AT + c.end, c.text) for c in speech.cues]
        return replace(self, speech=speech.path, speech_seconds=speech.duration), cues


@dataclass(frozen=True)
class MixPlan:
    """How the sound was made, for the run record and `hookforge effects`."""

    stems: list[str]
    events: list[SfxEvent] = field(default_factory=list)
    gain_db: float = 0.0
    measured: Loudness | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return " + ".join(self.stems) if self.stems else "silence"


def sfx_events(look: Look, duration: float, cut: float | None) -> list[SfxEvent]:
    """The sound effects a look's visual events call for, at the frame each event starts on."""
    if not look.audio.sfx:
        return []
    events = []
    if look.zoom is not None and look.zoom.end != look.zoom.start and look.zoom.at < duration - 0.1:
        events.append(SfxEvent("impact", look.zoom.at))
    if look.transition is not None and cut is not None:
        kind = {"flash": "riser", "whip": "whoosh"}.get(look.transition.kind)
        if kind:
            events.append(SfxEvent(kind, cut))
    return events


def _stereo(stream: Any) -> Any:
    return stream.filter("aformat", sample_fmts="fltp", sample_rates=SAMPLE_RATE, channel_layouts="stereo")


def _fit(stream: Any, duration: float) -> Any:
    """Exactly `duration` seconds from t=0: trimmed, and padded with silence when short."""
    return (
        stream.filter("atrim", end=round(duration, 4))
        .filter("asetpts", "PTS-STARTPTS")
        .filter("apad", whole_dur=round(duration, 4))
    )


def _gain(stream: Any, db: float) -> Any:
    return stream.filter("volume", f"{db:.2f}dB") if abs(db) >= 0.01 else stream


def _looped_music(node: Any, seconds: float, duration: float) -> Any:
    """The music trimmed to `duration`, or looped with a crossfade at each join when it is shorter."""
    music = _stereo(node.audio)
    if seconds >= duration:
        return music
    overlap = min(0.5, seconds / 4)
    copies = 1 + math.ceil((duration - seconds) / (seconds - overlap))
    parts = music.filter_multi_output("asplit", copies)
    joined = parts[0]
    for i in range(1, copies):
        joined = ffmpeg.filter([joined, parts[i]], "acrossfade", d=round(overlap, 3), c1="tri", c2="tri")
    return joined


@dataclass
class _Stems:
    """The audio inputs of one render, as ffmpeg-python streams (re-created for each measuring run)."""

    speech: Any = None
    source: Any = None
    music: Any = None
    sfx: list[Any] = field(default_factory=list)


class Mixer:
    """Builds the audio graph of one render: stems, their levels, ducking, the final gain and limiter."""

    def __init__(
        self,
        *,
        look: Look,
        duration: float,
        source_has_sound: bool,
        soundtrack: Soundtrack,
        events: Sequence[SfxEvent],
        seamless: bool,
        work_dir: Path,
        source_loudness: Loudness | None = None,
    ) -> None:
        self.look, self.spec = look, look.audio
        self.work_dir = work_dir
        #: the synthesized stems (bed, effects), rendered once to WAV files by `synthesize`
        self.synth: dict[str, Path] = {}
        self.duration = duration
        self.source_has_sound = source_has_sound
        self.soundtrack = soundtrack
        self.events = list(events)
        self.seamless = seamless
        self.levels: dict[str, float] = {}
        self.notes: list[str] = []
        #: the clip's own track as the render measured it (whole clip): reused as the source stem's loudness when the
        #: hook keeps the whole clip, so the clip is not measured twice
        self.source_loudness = source_loudness
        #: the stems mixed and levelled once (float WAV), before the final gain and limiter
        self.premixed: Path | None = None
        #: the delivered track: the premix with its final gain and limiter, encoded once as every placement carries
        #: it (AAC in an M4A), measured from the encoder's own packets; the render copies it into every placement
        self.track: Path | None = None
        #: loudness of the synthesized stems ("music" for the bed, "sfx" for the effects together), measured by
        #: `synthesize` as it writes them
        self.premeasured: dict[str, Loudness] = {}

    # --------------------------------------------------------------------------------- stems
    def _stems(self, source_node: Any) -> _Stems:
        d, track = self.duration, self.soundtrack
        stems = _Stems()
        if track.speech is not None:
            voice = _stereo(ffmpeg.input(str(track.speech)).audio)
            delay = round(SPEECH_AT * 1000)
            stems.speech = _fit(voice.filter("adelay", delays=f"{delay}|{delay}"), d)
        if self.source_has_sound:
            stems.source = _fit(_stereo(source_node.audio), d)
        if track.music is not None:
            # `file:` keeps a name with a colon from being read as an ffmpeg protocol
            node = ffmpeg.input(f"file:{track.music.resolve()}")
            stems.music = _fit(_looped_music(node, track.music_seconds, d), d)
        elif "bed" in self.synth:
            stems.music = _fit(_stereo(ffmpeg.input(str(self.synth["bed"])).audio), d)
        for i in range(len(self.events)):
            stems.sfx.append(_fit(_stereo(ffmpeg.input(str(self.synth[f"sfx-{i}"])).audio), d))
        return stems

    def synthesize(self) -> list[Path]:
        """Render the preset's bed and the sound effects once, in one ffmpeg run, to WAV files the premix reads
        (their expressions are evaluated per sample: doing it once keeps the sound cheap), and measure them in the
        same run as `measure_levels` would (the bed as the music stem, the effects together), from the very samples
        written. Returns the files written (temporary: the render removes them)."""
        sources: dict[str, str] = {}
        if self.soundtrack.music is None and self.spec.bed is not None and not self.source_has_sound:
            sources["bed"] = bed_source(self.spec.bed, self.duration, seamless=self.seamless)
        for i, event in enumerate(self.events):
            sources[f"sfx-{i}"] = sfx_source(event.kind, event.at, self.duration)
        if not sources:
            return []
        outputs, measured, sfx = [], {}, []
        for name, source in sources.items():
            self.synth[name] = self.work_dir / f".sound-{name}.wav"
            tee = _stereo(ffmpeg.input(source, f="lavfi").audio).filter_multi_output("asplit", 2)
            outputs.append(ffmpeg.output(tee[0], str(self.synth[name]), acodec="pcm_f32le"))
            if name == "bed":
                measured["music"] = _fit(tee[1], self.duration)
            else:
                sfx.append(_fit(tee[1], self.duration))
        if sfx:
            measured["sfx"] = sfx[0] if len(sfx) == 1 else _amix(sfx)
        for name, stream in measured.items():
            # a named instance: its summary in the log says which stem it measured
            loudness = stream.filter(f"ebur128@{name}", peak="true", framelog="quiet")
            outputs.append(ffmpeg.output(loudness, "-", f="null"))
        args = ffmpeg.merge_outputs(*outputs).global_args("-nostats", "-loglevel", "info").overwrite_output()
        try:
            log = run_ffmpeg(args.get_args())
            self.premeasured = {name: _summary(log, f"ebur128@{name}") for name in measured}
        except (MediaError, ValueError) as e:
            for path in self.synth.values():
                path.unlink(missing_ok=True)
            raise EffectsFailed(f"synthesizing the hook's sound failed: {e}") from e
        return list(self.synth.values())

    def stem_names(self) -> list[str]:
        names = []
        if self.soundtrack.speech is not None:
            names.append("voiceover")
        if self.source_has_sound:
            names.append("clip sound")
        if self.soundtrack.music is not None:
            names.append(f"music ({self.soundtrack.music.name})")
        elif self.spec.bed is not None and not self.source_has_sound:
            names.append(f"{self.spec.bed} bed")
        names += [f"{e.kind} at {e.at:.2f}s" for e in self.events]
        return names

    # --------------------------------------------------------------------------------- levels
    def measure_levels(self, source_path: Path) -> None:
        """Measure each stem once (audio-only ffmpeg runs) and set its gain toward its stem loudness."""
        targets = {
            "speech": SPEECH_LUFS,
            "source": SPEECH_LUFS,
            "music": BED_UNDER_SPEECH_LUFS if self.soundtrack.speech is not None else BED_LUFS,
        }
        stems = self._stems(ffmpeg.input(str(source_path)))
        for name in ("speech", "source", "music"):
            stream = getattr(stems, name)
            if stream is None:
                continue
            if name == "source" and self.source_loudness is not None:
                loud = self.source_loudness
            else:
                loud = self.premeasured[name] if name in self.premeasured else _measure(stream)
            if loud.integrated <= SILENT_LUFS:
                self.levels[name] = 0.0
                self.notes.append(f"the {name} track is silent ({loud.integrated:.0f} LUFS)")
                continue
            extra = self.spec.bed_gain if name == "music" else 0.0
            self.levels[name] = targets[name] - loud.integrated + extra
        if stems.sfx:
            loud = self.premeasured["sfx"] if "sfx" in self.premeasured else _measure(_amix(stems.sfx))
            level = SFX_LUFS - loud.integrated if loud.integrated > SILENT_LUFS else 0.0
            self.levels["sfx"] = level + self.spec.sfx_gain

    # --------------------------------------------------------------------------------- graph
    def _finished(self, premix: Path, *, gain_db: float, ceiling_db: float) -> Any:
        """The premix `normalize` wrote, with the final gain and a limiter at `ceiling_db` dBFS: what each try
        encodes."""
        return self.finish(_stereo(ffmpeg.input(str(premix)).audio), gain_db=gain_db, ceiling_db=ceiling_db)

    def _premix(self, source_node: Any) -> Any | None:
        """The stems levelled, the music faded and ducked under speech, mixed (no final gain, fade or limiter)."""
        stems = self._stems(source_node)
        speech_parts = []
        if stems.speech is not None:
            speech_parts.append(_gain(stems.speech, self.levels.get("speech", 0.0)))
        if stems.source is not None:
            speech_parts.append(_gain(stems.source, self.levels.get("source", 0.0)))
        parts = []
        if stems.music is not None:
            music = _gain(stems.music, self.levels.get("music", 0.0))
            fade = self.spec.music_fade_out
            if fade > 0 and not self.seamless:
                fade = min(fade, self.duration / 3)
                music = music.filter("afade", t="out", st=round(self.duration - fade, 4), d=round(fade, 4))
            if speech_parts:
                # duck the music under speech: the speech (voiceover, else the clip's own) keys a compressor
                key_src = speech_parts[0].filter_multi_output("asplit", 2)
                speech_parts[0], key = key_src[0], key_src[1]
                music = ffmpeg.filter(
                    [music, key],
                    "sidechaincompress",
                    threshold=0.03,
                    ratio=self.spec.duck_ratio,
                    attack=15,
                    release=350,
                )
            parts.append(music)
        parts += speech_parts
        parts += [_gain(s, self.levels.get("sfx", 0.0)) for s in stems.sfx]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else ffmpeg.filter(parts, "amix", inputs=len(parts), normalize=0)

    def finish(self, mixed: Any, *, gain_db: float = 0.0, ceiling_db: float | None = None) -> Any:
        """The final gain, the picture's end fade and the true-peak limiter, to exactly the hook's length."""
        mixed = _gain(mixed, gain_db)
        if self.look.fade is not None:
            d_out = min(self.look.fade.fade_out, self.duration / 3)
            mixed = mixed.filter("afade", t="out", st=round(self.duration - d_out, 4), d=round(d_out, 4))
        ceiling = self.spec.true_peak - LIMITER_MARGIN_DB if ceiling_db is None else ceiling_db
        limit = 10 ** (ceiling / 20)
        mixed = mixed.filter("alimiter", limit=round(max(limit, 0.0625), 5), attack=2, release=40, level=0, latency=1)
        return _fit(_stereo(mixed), self.duration)

    def _write_premix(self, source_path: Path) -> Loudness | None:
        """Mix the stems once into a float WAV (lossless: the render and every try read it instead of the stems)
        and measure it in the same run. None when there is nothing to hear."""
        premix = self._premix(ffmpeg.input(str(source_path)))
        if premix is None:
            return None
        path = self.work_dir / ".sound-premix.wav"
        tee = premix.filter_multi_output("asplit", 2)
        measured = tee[1].filter("ebur128", peak="true", framelog="quiet")
        args = (
            ffmpeg.merge_outputs(
                ffmpeg.output(tee[0], str(path), acodec="pcm_f32le"), ffmpeg.output(measured, "-", f="null")
            )
            .global_args("-nostats", "-loglevel", "info")
            .overwrite_output()
            .get_args()
        )
        try:
            log = run_ffmpeg(args)
        except MediaError as e:
            path.unlink(missing_ok=True)
            raise EffectsFailed(f"mixing the hook's sound failed: {e}") from e
        self.premixed = path
        return parse_ebur128(log)

    def normalize(self, source_path: Path) -> MixPlan:
        """Find the gain and limiter ceiling that bring the delivered AAC track to the target loudness and true
        peak, and write that track (`track`). The stems are mixed once (`premixed`, measured as it is written, which
        gives the first gain); each try applies the gain and limiter to that premix, encodes it to AAC as the
        placements carry it and measures the encoder's own packets (at most four tries, usually one). The last try
        is the track delivered: every placement copies it, so what was measured is what plays."""
        self.measure_levels(source_path)
        target, peak_limit = self.spec.loudness, self.spec.true_peak
        gain, ceiling, measured = 0.0, peak_limit - LIMITER_MARGIN_DB, None
        premix = self._write_premix(source_path)
        if premix is None or self.premixed is None:
            return MixPlan(stems=[], notes=self.notes)
        if premix.integrated > SILENT_LUFS:
            gain = round(target - premix.integrated, 2)
        track = self.work_dir / ".sound-track.m4a"
        for attempt in range(4):
            measured = _encode_track(self._finished(self.premixed, gain_db=gain, ceiling_db=ceiling), track)
            self.track = track
            if measured.integrated <= SILENT_LUFS:
                self.notes.append("the mix is silent")
                break
            miss = target - measured.integrated
            over = measured.true_peak - (peak_limit - 0.2)
            if (abs(miss) < 0.3 and over <= 0) or attempt == 3:
                break
            gain += miss
            if over > 0:
                ceiling -= over + 0.2
        return MixPlan(
            stems=self.stem_names(), events=self.events, gain_db=round(gain, 2), measured=measured, notes=self.notes
        )


def _encode_track(stream: Any, path: Path) -> Loudness:
    """Encode an audio stream to `path` (AAC in an M4A, with the options every placement's track has) and return
    its EBU R128 loudness as delivered: measured from the encoder's own packets, decoded again in the same ffmpeg
    run (a loopback decoder, `-dec`, ffmpeg 7.1+). Encoding and measuring overlap; nothing is read back."""
    encode = ffmpeg.output(stream, str(path), f="ipod", **AUDIO_OUTPUT).overwrite_output().get_args()
    measure = ["-dec", "0:0", "-filter_complex", "[dec:0]ebur128=peak=true:framelog=quiet[measured]"]
    args = [*encode, *measure, "-map", "[measured]", "-f", "null", "-", "-nostats", "-loglevel", "info"]
    try:
        return parse_ebur128(run_ffmpeg(args))
    except (MediaError, ValueError) as e:
        path.unlink(missing_ok=True)
        raise EffectsFailed(f"encoding the hook's sound failed: {e}") from e


def _amix(streams: list[Any]) -> Any:
    """The sound effects together, as they are measured for their level (each is silent outside its event)."""
    return ffmpeg.filter(streams, "amix", inputs=len(streams), normalize=0, duration="longest")


def _summary(log: str, instance: str) -> Loudness:
    """The EBU R128 summary of the `ebur128` filter instance named `instance` in a log of several: its lines follow
    the instance's "Summary:" line, up to the next line a filter or muxer prefixes with its name."""
    found = re.search(rf"^\[{re.escape(instance)} @ [^\]]*\] Summary:", log, re.MULTILINE)
    if found is None:
        raise ValueError(f"no summary from {instance} in the ffmpeg log")
    following = log.find("\n[", found.end())
    return parse_ebur128(log[found.start() : following if following >= 0 else len(log)])


def _measure(stream: Any) -> Loudness:
    """EBU R128 loudness of an audio stream (an audio-only ffmpeg run to a null output)."""
    args = (
        ffmpeg.output(stream.filter("ebur128", peak="true", framelog="quiet"), "-", f="null")
        .global_args("-nostats", "-loglevel", "info")
        .get_args()
    )
    try:
        log = run_ffmpeg(args)
    except MediaError as e:
        raise EffectsFailed(f"measuring the hook's sound failed: {e}") from e
    return parse_ebur128(log)


#: encoder options of the audio track every placement carries: AAC, 48 kHz, stereo
AUDIO_OUTPUT: dict[str, Any] = {"acodec": "aac", "audio_bitrate": AAC_BITRATE, "ar": SAMPLE_RATE, "ac": 2}
