"""The sound of a hook, synthesized offline, and the checks on a user's music file.

Every bed and sound effect is a lavfi source: one `aevalsrc` whose per-sample expressions are a small synthesizer
(a step sequencer, FM and sine oscillators, envelopes, a state-variable filter over `random()` noise), then `aloop`
(a bed's pattern is computed once and repeated), `aeval` for a slow gain (a swell, a loop's edge) and `atrim` to the
exact sample. Nothing is downloaded and nothing varies between runs: `random()` starts from a fixed seed, so a
render is repeatable. The render engine adds each source to its single ffmpeg invocation as `-f lavfi -i <source>`.

Quoting: the expressions contain commas and semicolons, which the filtergraph parser would split on, so each
filter's expression list is wrapped in single quotes (one level, removed by the graph parser); nothing else needs
escaping, and no shell is ever involved: the source is one argv element.

Sequenced voices start every note from zero amplitude (phase reset under an attack) and are choked to zero just
before the next onset of the same voice, so a pattern never clicks; sustained oscillators complete whole cycles per
pattern (or per loop unit), so a pattern repeats sample for sample and a loop's end flows into its start.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hookforge.errors import AudioInvalid, EffectsInvalid
from hookforge.media import ffmpeg_exe, run_ffmpeg

SAMPLE_RATE = 48000

#: preset music beds, synthesized: name -> one-line description a marketer understands
BEDS: dict[str, str] = {
    "drive": "a driving 124 BPM four-on-the-floor kick with off-beat hats and a pulsing bass (for 'punchy')",
    "swell": "a dark cinematic drone that swells, with a low sub pulse like a slow heartbeat (for 'cinematic')",
    "groove": "a mid-tempo 100 BPM groove whose bar fits the hook a whole number of times, to loop (for 'loop')",
    "soft": "a light, warm bed of plucked notes over a soft pad that stays out of the way (for 'clean')",
}

SFX_KINDS = ("impact", "whoosh", "riser")

MAX_MUSIC_BYTES = 30 * 1024 * 1024
MIN_MUSIC_SECONDS = 1.0
SILENCE_DB = -50.0

#: a music file that takes longer than this to decode is rejected (a 30 MB file decodes in a few seconds)
MUSIC_DECODE_TIMEOUT = 90.0
#: demuxers a music file may be read with: audio containers only, so a playlist (`hls`, `concat`) or an image is
#: refused before ffmpeg opens anything it names
MUSIC_FORMATS = "mp3,mov,mp4,m4a,3gp,wav,ogg,flac,aac,matroska,webm,aiff,caf,w64"

_TWO_PI = 2 * math.pi
#: a note is choked to zero over this many seconds before the next onset of its voice (no click, no smear)
_CHOKE = 0.005
#: a seamless loop fades its last few milliseconds to zero, where its first sample already is
_LOOP_EDGE = 0.003


# --------------------------------------------------------------------------------------------- expression helpers
def _n(x: float) -> str:
    """A number as ffmpeg's expression parser reads it: plain decimal, parenthesised when negative."""
    text = f"{x:.10f}".rstrip("0").rstrip(".")
    if text in ("", "-0"):
        text = "0"
    return f"({text})" if x < 0 else text


def _hz(name: str) -> float:
    """Frequency of a note name like 'A2', 'F#3', 'Bb1' (equal temperament, A4 = 440 Hz)."""
    match = re.fullmatch(r"([A-G])([#b]?)(-?\d)", name)
    if match is None:
        raise ValueError(f"not a note: {name}")
    letter, accidental, octave = match.groups()
    semitone = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[letter]
    semitone += {"#": 1, "b": -1, "": 0}[accidental]
    midi = 12 * (int(octave) + 1) + semitone
    return 440.0 * 2 ** ((midi - 69) / 12)


@dataclass(frozen=True)
class _Synth:
    """A synthesized sound: per-channel sample expressions that repeat exactly every `period` seconds (None: they
    never repeat), and a slow `gain` (an expression of t, "" for none) applied over the whole length after looping."""

    channels: tuple[str, str]
    period: float | None = None
    gain: str = ""
    level: float = 1.0


def _source(synth: _Synth, duration: float, *, seamless: bool = False) -> str:
    """The lavfi source: one aevalsrc (stereo, 48 kHz), looped when it repeats, trimmed to exactly `duration` s."""
    samples = round(duration * SAMPLE_RATE)
    exprs = "|".join(synth.channels if synth.level == 1 else (f"{_n(synth.level)}*({c})" for c in synth.channels))
    if "'" in exprs:  # an expression never contains a quote; the quoting below relies on it
        raise ValueError("a quote in an aevalsrc expression")
    # only one period is computed, then repeated by aloop: a 60 s bed costs what its pattern costs
    period = round(synth.period * SAMPLE_RATE) if synth.period else 0
    looped = 0 < period < samples
    made = period if looped else samples
    # aevalsrc stops at the end of a whole frame (1024 samples) past `d`: ask for one frame more, then trim exactly
    chain = [f"aevalsrc=exprs='{exprs}':s={SAMPLE_RATE}:c=stereo:d={(made + 1024) / SAMPLE_RATE:.6f}"]
    if looped:
        chain.append(f"aloop=loop=-1:size={period}")
    gain = synth.gain
    if seamless:
        # the last few milliseconds fade to 0, where the loop's first sample already is: no jump at the loop point
        edge = f"min(1,({_n(duration)}-t)*{_n(1 / _LOOP_EDGE)})"
        gain = f"{gain}*{edge}" if gain else edge
    if gain:
        chain.append(f"aeval=exprs='val(0)*{gain}|val(1)*{gain}':c=same")
    chain += [f"atrim=end_sample={samples}", "asetpts=PTS-STARTPTS"]
    return ",".join(chain)


def _check_duration(duration: float) -> None:
    if not (math.isfinite(duration) and 0.05 <= duration <= 600):
        raise EffectsInvalid(f"a sound must last between 0.05 and 600 seconds, not {duration}")


# --------------------------------------------------------------------------------------------- tempo
@dataclass(frozen=True)
class _Tempo:
    """Seconds per beat, and the unit (bar, half bar or beat) whose whole multiples make up a seamless loop."""

    beat: float
    unit: float


def _tempo(bpm: float, low: float, high: float, duration: float, seamless: bool) -> _Tempo:
    """`bpm`; for a loop, the tempo nearest `bpm` within [low, high] at which whole bars fit `duration` (else whole
    half bars, else whole beats, whatever the tempo)."""
    beat = 60.0 / bpm
    if not seamless:
        return _Tempo(beat, 4 * beat)
    for unit_beats in (4, 2):
        whole = duration / (unit_beats * beat)
        fits = [duration / (n * unit_beats) for n in {max(1, math.floor(whole)), max(1, math.ceil(whole))}]
        fits = [b for b in fits if low <= 60.0 / b <= high]
        if fits:
            best = min(fits, key=lambda b: abs(math.log(b / beat)))
            return _Tempo(best, best * unit_beats)
    best = duration / max(1, round(duration / beat))
    return _Tempo(best, best)


def _freq(hz: float, unit: float) -> float:
    """An oscillator frequency moved (by at most 1/(2*unit) Hz) to a whole number of cycles per `unit` seconds, so a
    sound made of such oscillators repeats exactly every unit."""
    return max(1, round(hz * unit)) / unit


# --------------------------------------------------------------------------------------------- the sequencer
# Variables of one channel expression (ffmpeg's evaluator has 10: ld(0)..ld(9)):
#   0 seed of random(), 1 position in the pattern (s), 2 step index, 3 time since the voice's onset (s),
#   4 time to the voice's next onset (s), 6 white noise in [-1, 1), 7 "bright" noise (first difference of 6),
#   8 the voice's decay envelope, 9 its phase
_POS, _STEP, _TAU, _REM, _WHITE, _BRIGHT, _DECAY = "ld(1)", "ld(2)", "ld(3)", "ld(4)", "ld(6)", "ld(7)", "ld(8)"
_NOISE = "st(7,-ld(6));st(6,2*random(0)-1);st(7,(ld(7)+ld(6))/2)"


@dataclass(frozen=True)
class _Sequencer:
    """A step sequencer over a pattern of `steps` equal steps (16th or 32nd notes), each `step` seconds long."""

    step: float
    steps: int

    @property
    def period(self) -> float:
        return self.step * self.steps

    def header(self) -> str:
        """Sets the position in the pattern and the step index, and draws this sample's noise."""
        return f"st(1,mod(t,{_n(self.period)}));st(2,floor(ld(1)/{_n(self.step)}));{_NOISE}"

    def every(self, interval: int, offset: int, sound: str | Sequence[str], per: int = 0) -> str:
        """A voice playing every `interval` steps from step `offset`: its timing is computed, not searched.

        `sound` is one expression (a kick, a hat), or one per `per` steps of the pattern (a bass line changing note
        each bar: `per=16`, from step 0), reading ld(3) (time since the onset) and ld(4) (time to the next).
        """
        length = interval * self.step
        since = f"mod({_POS}-{_n(offset * self.step)},{_n(length)})"
        if isinstance(sound, str):
            chosen = sound
        else:
            if offset or per % interval or per * len(sound) != self.steps:
                raise ValueError("one sound per segment needs offset 0 and segments of whole intervals")
            chosen = _select(_STEP, range(0, self.steps, per), sound)
        return f"(st(3,{since});st(4,{_n(length)}-ld(3));{chosen})"

    def voice(self, onsets: Sequence[int], sound: Callable[[int], str]) -> str:
        """One voice: `sound(i)` is the expression of onset i, reading ld(3) (time since it) and ld(4) (time left).

        The branch is picked by the step index (only the chosen branch is evaluated); before the first onset of the
        pattern, the last one of the previous cycle is still sounding.
        """
        order = sorted(range(len(onsets)), key=lambda i: onsets[i])
        starts = [onsets[i] for i in order]
        first, last, step = starts[0], starts[-1], self.step

        def branch(k: int, since: float, until: float) -> str:
            return f"st(3,{_POS}-{_n(since)});st(4,{_n(until)}-{_POS});{sound(order[k])}"

        nexts = [*starts[1:], first + self.steps]
        expr = _select(_STEP, starts, [branch(k, starts[k] * step, nexts[k] * step) for k in range(len(starts))])
        if first > 0:
            wrapped = branch(len(order) - 1, (last - self.steps) * step, first * step)
            expr = f"if(gte({_STEP},{first}),{expr},{wrapped})"
        return f"({expr})"


def _select(index: str, starts: Sequence[int], leaves: Sequence[str]) -> str:
    """The expression picking leaves[k] when starts[k] <= index < starts[k+1] (index >= starts[0]): a balanced
    search, log2(n) comparisons per sample, and only the chosen leaf is evaluated."""
    if len(leaves) == 1:
        return leaves[0]
    mid = len(leaves) // 2
    upper, lower = _select(index, starts[mid:], leaves[mid:]), _select(index, starts[:mid], leaves[:mid])
    return f"if(gte({index},{starts[mid]}),{upper},{lower})"


def _choke() -> str:
    """1, falling to 0 over the last few milliseconds before the voice's next onset."""
    return f"min(1,{_REM}*{_n(1 / _CHOKE)})"


def _attack(seconds: float) -> str:
    """0 at the onset rising linearly to 1 after `seconds`: every note starts from silence (no click)."""
    return f"min(1,{_TAU}*{_n(1 / seconds)})"


def _decay(rate: float) -> str:
    """Stores exp(-rate * time since onset) in ld(8), for the note's parts to share."""
    return f"st(8,exp(-{_n(rate)}*{_TAU}))"


def _kick(level: float, start_hz: float = 160.0, end_hz: float = 48.0, drop: float = 32.0, decay: float = 7.0) -> str:
    """A kick: a sine gliding from `start_hz` down to `end_hz` (exponentially, rate `drop`), decaying at `decay`/s."""
    w_end = _TWO_PI * end_hz
    glide = _TWO_PI * (start_hz - end_hz) / drop
    return (
        f"{_n(level)}*sin({_n(w_end)}*{_TAU}+{_n(glide)}*(1-exp(-{_n(drop)}*{_TAU})))"
        f"*exp(-{_n(decay)}*{_TAU})*{_choke()}"
    )


def _tone(hz: float, level: float | str, decay: float, bright: float = 1.0, attack: float = 0.004) -> str:
    """A pitched note from its onset: a sine phase-modulated by itself (FM, 1:1), `bright` setting how strong its
    harmonics are at the onset; they fade with the note, so it darkens as it decays (a pluck, a bass)."""
    phase = f"st(9,{_n(_TWO_PI * hz)}*{_TAU})"
    level_expr = _n(level) if isinstance(level, float | int) else f"({level})"
    return (
        f"{_decay(decay)};{phase};{level_expr}*sin(ld(9)+{_n(bright)}*{_DECAY}*sin(ld(9)))"
        f"*{_DECAY}*{_attack(attack)}*{_choke()}"
    )


def _hit(level: float, decay: float, noise: str = _BRIGHT, attack: float = 0.001) -> str:
    """A noise hit (hat, snare, shaker): `noise` under a fast attack and an exponential decay."""
    return f"{_n(level)}*{noise}*{_attack(attack)}*exp(-{_n(decay)}*{_TAU})*{_choke()}"


def _chord(hzs: Sequence[float], level: float, decay: float, attack: float = 0.01) -> str:
    """A chord from its onset (a stab, or with a slow `decay` a pumping pad): one sine per note."""
    body = "+".join(f"sin({_n(_TWO_PI * hz)}*{_TAU})" for hz in hzs)
    return f"{_n(level)}*({body})*{_attack(attack)}*exp(-{_n(decay)}*{_TAU})*{_choke()}"


def _pad(notes: Sequence[tuple[str, float]], ch: int, unit: float, detune: float, rates: tuple[float, float]) -> str:
    """A sustained pad: one sine per (note, level), detuned apart in the two channels (width), each with a slow
    tremolo of its own (movement); all frequencies are whole cycles per `unit`, so the pad repeats every unit."""
    terms = []
    for k, (note, level) in enumerate(notes):
        hz = _freq(_hz(note) * (1 + detune if ch else 1 - detune), unit)
        lfo = _freq(rates[0] + rates[1] * k, unit)
        terms.append(
            f"{_n(level)}*sin({_n(_TWO_PI * hz)}*t)*(1+0.3*sin({_n(_TWO_PI * lfo)}*t+{_n(1.7 * k + 0.9 * ch)}))"
        )
    return "+".join(terms)


# --------------------------------------------------------------------------------------------- the beds
def _drive(duration: float, seamless: bool) -> _Synth:
    """124 BPM, A minor (Am F G Am, a bar each): four-on-the-floor kick tuned to A, an 8th-note FM bass whose
    off-beat notes carry the pulse (the on-beat ones sit quietly under the kick), a minor-chord pad pumping against
    the kick, off-beat open hats and quiet 16th hats."""
    tempo = _tempo(124, 112, 136, duration, seamless)
    seq = _Sequencer(tempo.beat / 4, 64)
    roots = ["A1", "F1", "G1", "A1"]
    chords = [("A3", "C4", "E4"), ("F3", "A3", "C4"), ("G3", "B3", "D4"), ("A3", "C4", "E4")]
    pulse = f"0.06+0.11*gte(mod({_STEP},4),2)"  # loud on the off-beat 8th (step 2 of each beat)

    def channel(ch: int) -> str:
        detune = 1.003 if ch else 0.997
        kick = seq.every(4, 0, _kick(0.42, start_hz=180, end_hz=55, drop=45, decay=8))
        bass = seq.every(2, 0, [_tone(_hz(root), pulse, decay=5.0, bright=1.0) for root in roots], per=16)
        pads = [_chord([_hz(n) * detune for n in chord], 0.08, 0.9, attack=0.12) for chord in chords]
        pad = seq.every(4, 0, pads, per=16)
        hats = seq.every(4, 2, _hit(0.16 if ch else 0.2, decay=22.0))
        ticks = seq.every(2, 1, _hit(0.05 if ch else 0.04, decay=70.0))
        return f"{seq.header()};{kick}+{bass}+{pad}+{hats}+{ticks}"

    return _Synth((channel(0), channel(1)), period=seq.period)


def _groove(duration: float, seamless: bool) -> _Synth:
    """100 BPM, E minor, a one-bar pattern: a syncopated kick with a pickup a 32nd before the bar line, snare on 2
    and 4, 8th hats accented off the beat, an FM bass riff that climbs back to its root, off-beat Em7 stabs, a quiet
    Em9 pad, and a reversed-cymbal swell over the last beat that lands on the next bar (the loop point)."""
    tempo = _tempo(100, 80, 130, duration, seamless)
    seq = _Sequencer(tempo.beat / 8, 32)  # 32nd notes, for the pickup
    riff = [("E2", 0), ("E2", 6), ("G2", 12), ("A2", 16), ("B2", 22), ("D3", 26), ("E3", 30)]
    em7 = [_hz(n) for n in ("E3", "G3", "B3", "D4")]
    snare_body = f"(0.6*{_BRIGHT}+0.5*sin({_n(_TWO_PI * 185)}*{_TAU})*exp(-18*{_TAU}))"
    pad_notes = (("E3", 0.045), ("B3", 0.038), ("D4", 0.03), ("F#4", 0.027))
    beat = 8 * seq.step
    # the swell rises over the last beat and is cut (5 ms) at the bar line, where the kick lands
    swell = f"0.2*{_BRIGHT}*pow({_TAU}/{_n(beat)},3)*max(0,min(1,({_n(beat)}-{_TAU})*{_n(1 / _CHOKE)}))"
    kick_levels = (0.32, 0.27, 0.3, 0.32)

    def channel(ch: int) -> str:
        kick = seq.voice((0, 12, 20, 31), lambda i: _kick(kick_levels[i], start_hz=190, end_hz=52, decay=9))
        snare = seq.every(16, 8, _hit(0.26, decay=13.0, noise=snare_body))
        hat_level = 0.85 if ch else 1.0
        hats = seq.voice(range(0, 32, 4), lambda i: _hit((0.06, 0.12)[i % 2] * hat_level, decay=35.0))
        bass = seq.voice([s for _, s in riff], lambda i: _tone(_hz(riff[i][0]), 0.15, decay=3.0, bright=1.2))
        stab = _chord([hz * (1.002 if ch else 0.998) for hz in em7], 0.06, 7.0, attack=0.006)
        stabs = seq.voice((4, 14, 26), lambda _: stab)
        reverse = seq.voice((24,), lambda _: swell)
        pad = _pad(pad_notes, ch, tempo.unit if seamless else seq.period, 0.002, (0.4, 0.4))
        return f"{seq.header()};{kick}+{snare}+{hats}+{bass}+{stabs}+{reverse}+{pad}"

    return _Synth((channel(0), channel(1)), period=seq.period, level=0.9)


def _soft(duration: float, seamless: bool) -> _Synth:
    """88 BPM, C major (Cmaj7 Am7 Fmaj7 G6, two beats each): a plucked 8th-note FM arpeggio over a warm C-G-E pad
    with a slow shimmer, and a quiet shaker."""
    tempo = _tempo(88, 76, 100, duration, seamless)
    seq = _Sequencer(tempo.beat / 4, 32)
    arps = [("C4", "E4", "G4", "B4"), ("A3", "C4", "E4", "G4"), ("F3", "A3", "C4", "E4"), ("G3", "B3", "D4", "E4")]
    order = (0, 2, 1, 3)  # up a fifth, down a third, up again: the arpeggio rolls rather than climbs
    pad_notes = (("C3", 0.075), ("G3", 0.05), ("E4", 0.035))

    def channel(ch: int) -> str:
        tune = 1.0 if ch else 1.001

        def pluck(i: int) -> str:
            hz = _hz(arps[i // 4][order[i % 4]]) * tune
            return _tone(hz, 0.28 if i % 2 == 0 else 0.21, decay=6.0, bright=0.6, attack=0.003)

        plucks = seq.voice(range(0, 32, 2), pluck)
        shaker = seq.every(2, 1, _hit(0.03, decay=40.0, attack=0.004))
        pad = _pad(pad_notes, ch, tempo.unit if seamless else seq.period, 0.0015, (0.15, 0.07))
        return f"{seq.header()};{plucks}+{shaker}+{pad}"

    return _Synth((channel(0), channel(1)), period=seq.period)


def _swell(duration: float, seamless: bool) -> _Synth:
    """D minor drone: six detuned notes (D2 A2 D3 F3 A3 D4) with slow independent tremolos, over a D1 sub pulse
    with a short pitch drop, 66 times a minute; the whole swells over the hook (or rises and falls once over a
    loop)."""
    tempo = _tempo(66, 56, 76, duration, seamless)
    period = 8 * tempo.beat
    unit = tempo.unit if seamless else period
    notes = (("D2", 0.1), ("A2", 0.085), ("D3", 0.08), ("F3", 0.065), ("A3", 0.05), ("D4", 0.03))
    # the sub pulse: a boom every beat gliding down to D1, choked just before the next
    beat = _n(tempo.beat)
    sub = (
        f"st(3,mod(t,{beat}));st(4,{beat}-ld(3));"
        f"0.24*(sin({_n(_TWO_PI * 37)}*ld(3)+{_n(_TWO_PI * 30 / 14)}*(1-exp(-14*ld(3))))"
        f"+0.35*sin({_n(_TWO_PI * 74)}*ld(3)+{_n(_TWO_PI * 60 / 14)}*(1-exp(-14*ld(3)))))"
        f"*min(1,ld(3)*100)*exp(-4.5*ld(3))*{_choke()}"
    )

    def channel(ch: int) -> str:
        terms = []
        for k, (note, amp) in enumerate(notes):
            w = _TWO_PI * _freq(_hz(note) * (1.0012 if ch else 0.9988), unit)
            lfo = _TWO_PI * _freq(0.11 + 0.06 * k, unit)
            tremolo = f"(1+0.35*sin({_n(lfo)}*t+{_n(2.1 * k + ch)}))"
            terms.append(f"{_n(amp)}*(sin({_n(w)}*t)+0.3*sin({_n(2 * w)}*t))*{tremolo}")
        return f"{'+'.join(terms)}+({sub})"

    if seamless:
        swell = f"(0.6+0.4*(1-cos({_n(_TWO_PI / duration)}*t))/2)"
    else:
        swell = f"(0.55+0.45*pow(t/{_n(duration)},1.5))"
    return _Synth((channel(0), channel(1)), period=period, gain=swell, level=0.85)


_BEDS: dict[str, Callable[[float, bool], _Synth]] = {"drive": _drive, "swell": _swell, "groove": _groove, "soft": _soft}


def bed_source(name: str, duration: float, *, seamless: bool = False) -> str:
    """lavfi source of the bed `name`, `duration` s long, stereo 48 kHz, peaking around -6 dBFS (a pre-mix level).

    It is audible from the very first milliseconds (a hook's first second matters: no silent lead-in) and, if
    `seamless`, its tempo is nudged so a whole number of bars (else half bars, else beats) fits `duration`, its
    oscillators complete whole cycles, and its end flows into its start (for loops). Unknown name -> EffectsInvalid.
    """
    if name not in BEDS:
        raise EffectsInvalid(f"unknown music bed {name!r}; choose one of: {', '.join(BEDS)}")
    _check_duration(duration)
    return _source(_BEDS[name](duration, seamless), duration, seamless=seamless)


# --------------------------------------------------------------------------------------------- sound effects
def _svf(cutoff: str, damping: float, x: str) -> str:
    """One sample of a Chamberlin state-variable band-pass over the input `x` (state in ld(4)=low, ld(5)=band).

    Its value is the band output; `cutoff` (Hz) may change every sample (a sweep).
    """
    f = f"2*sin(PI*({cutoff})/{SAMPLE_RATE})"
    return f"st(8,{f});st(4,ld(4)+ld(8)*ld(5));st(5,ld(5)+ld(8)*({x}-ld(4)-{_n(damping)}*ld(5)))"


def _impact(ch: int, event: float) -> str:
    """A pitched-down sine thump (180 -> 42 Hz) with a short noise crack, both starting at `event`; centred (the
    same in both channels, whichever `ch`)."""
    tau = "ld(3)"
    thump = (
        f"0.5*sin({_n(_TWO_PI * 42)}*{tau}+{_n(_TWO_PI * (180 - 42) / 26)}*(1-exp(-26*{tau})))*exp(-7*{tau})"
        f"*(1-exp(-4000*{tau}))"
    )
    crack = f"0.2*{_WHITE}*exp(-60*{tau})"
    body = f"st(3,t-{_n(event)});{_NOISE};{thump}+{crack}"
    return f"if(between(t,{_n(event)},{_n(event + 1.2)}),{body},0)"


def _whoosh(ch: int, event: float) -> str:
    """Band-passed noise from `event`: a ~1 ms attack to 80 % of its level (the onset), a swell to full at ~80 ms,
    down 15 dB by ~0.35 s. The band sweeps up with the swell and down after it, and the sound pans across the
    stereo field (a whip pan)."""
    tau = "ld(3)"
    shape = f"({tau}/0.08)*exp(1-{tau}/0.08)"  # 0 -> 1 at 80 ms -> 0
    cutoff = f"500+2600*{shape}"
    env = f"(0.8+14*{tau})*exp(-8*{tau})*(1-exp(-1500*{tau}))"
    angle = f"{_n(math.pi / 8)}+{_n(math.pi / 4)}*min(1,{tau}/0.35)"
    pan = f"cos({angle})" if ch == 0 else f"sin({angle})"
    # a band-pass's output grows with its bandwidth (proportional to the cutoff): divide that out
    level = f"1.17*sqrt(1000/({cutoff}))"
    body = f"st(3,t-{_n(event)});{_NOISE};{_svf(cutoff, 0.9, _WHITE)};ld(5)*{env}*{level}*{pan}"
    return f"if(between(t,{_n(event)},{_n(event + 1.2)}),{body},0)"


def _riser(ch: int, event: float) -> str:
    """A sweep up over the second before `event` (shorter near the start), cut off by a bright hit at `event`."""
    start = max(0.0, event - 1.0)
    length = event - start
    hit_tau = "ld(3)"
    hit = (
        f"st(3,t-{_n(event)});{_NOISE};"
        f"(0.3*{_BRIGHT}*exp(-16*{hit_tau})+0.14*sin({_n(_TWO_PI * 1568)}*{hit_tau})*exp(-11*{hit_tau})"
        f"+0.1*sin({_n(_TWO_PI * 2349 * (1.003 if ch else 1.0))}*{hit_tau})*exp(-14*{hit_tau})"
        f"+0.22*sin({_n(_TWO_PI * 70)}*{hit_tau})*exp(-12*{hit_tau}))*(1-exp(-5000*{hit_tau}))"
    )
    expr = f"if(between(t,{_n(event)},{_n(event + 1.0)}),{hit},0)"
    if length > 1.0 / SAMPLE_RATE:
        # tone: exponential glide 150 -> 1200 Hz (phase = integral of the frequency); noise: band sweeping up
        ratio = 8.0
        x = f"((t-{_n(start)})/{_n(length)})"
        phase = f"{_n(_TWO_PI * 150 * length / math.log(ratio))}*(exp({_n(math.log(ratio))}*{x})-1)"
        tone = f"(sin({phase})+0.4*sin(2*{phase})+0.2*sin(3*{phase}))"
        cutoff = f"300*exp({_n(math.log(20))}*{x})"
        noise = f"{_svf(cutoff, 0.7, _WHITE)};ld(5)*sqrt(1000/({cutoff}))"
        ramp = f"pow({x},2)"
        sweep = f"{_NOISE};(0.075*{tone}+0.3*({noise}))*{ramp}"
        expr = f"if(between(t,{_n(start)},{_n(event)})*lt(t,{_n(event)}),{sweep},{expr})"
    return expr


def sfx_source(kind: str, event: float, duration: float) -> str:
    """lavfi source `duration` s long (stereo, 48 kHz), silent but for one sound effect on a visual event at `event` s.

    impact: a punchy hit (pitched-down sine thump + short noise transient, fast exponential decay, ~0.5 s) whose
            attack starts at `event` (for a punch-in zoom);
    whoosh: band-passed noise with a very short attack at `event`, swelling and falling over ~0.35 s (for a whip pan
            starting at `event`);
    riser:  a rising tone/noise sweep over up to ~1 s before `event` (from t=0 when `event` < 1 s) that ends
            abruptly at `event` with a short bright hit (for a flash cut at `event`).
    The largest frame-to-frame rise of the short-term RMS (1/30 s windows) falls on the window holding `event`,
    which is how the onset is found; peaks are around -3 to -6 dBFS. Unknown kind -> EffectsInvalid.
    """
    builders = {"impact": _impact, "whoosh": _whoosh, "riser": _riser}
    if kind not in builders:
        raise EffectsInvalid(f"unknown sound effect {kind!r}; choose one of: {', '.join(SFX_KINDS)}")
    _check_duration(duration)
    if not (math.isfinite(event) and 0.0 <= event < duration):
        raise EffectsInvalid(f"a {kind} at {event} s is outside the {duration:.2f} s hook")
    return _source(_Synth((builders[kind](0, event), builders[kind](1, event))), duration)


# --------------------------------------------------------------------------------------------- the user's music
@dataclass(frozen=True)
class AudioInfo:
    """What `check_music` found in a music file (duration as decoded, not as declared)."""

    duration: float
    sample_rate: int
    channels: int
    codec: str
    peak_db: float
    size: int


_AUDIO_STREAM = re.compile(r"Stream #0:\d+(?:\[\w+\])?(?:\(\w+\))?: Audio: (?P<codec>\w+)[^\n]*?(?P<rate>\d+) Hz")
_INPUT = re.compile(r"Input #0, (?P<format>[\w,]+), from")
_PEAK = re.compile(r"\] Peak level dB: (-?inf|-?[\d.]+)")
_SAMPLES = re.compile(r"\] Number of samples: (\d+)")


def _music_error(p: Path, problem: str) -> AudioInvalid:
    return AudioInvalid(
        f"effects.music: {p.name} {problem}; use an MP3, M4A, WAV or OGG file of 1 s or more, "
        f"at most {MAX_MUSIC_BYTES // (1024 * 1024)} MB, with audible sound"
    )


def check_music(path: Path) -> AudioInfo:
    """Verify a user's music file (the brief's `effects.music`) before any render; AudioInvalid naming the problem.

    Refused: a missing or empty file; one larger than 30 MB (from its size, before anything is decoded); one that is
    not audio or has no audio stream; one shorter than 1 s; a silent one (peak below -50 dBFS). The first audio stream
    is decoded in full (bounded by a timeout) to measure its real length and peak; ffmpeg's own errors are never
    passed on, the message is ours.
    """
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0:
        raise _music_error(p, "is missing or empty")
    size = p.stat().st_size
    if size > MAX_MUSIC_BYTES:
        raise _music_error(p, f"is {size / (1024 * 1024):.1f} MB, larger than the limit")
    cmd = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats",
        # local files only, audio containers only: nothing the file names is opened; `file:` so that a name with a
        # colon is never read as a URL
        "-protocol_whitelist", "file", "-format_whitelist", MUSIC_FORMATS,
        "-i", f"file:{p.absolute()}", "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-af", "astats=measure_perchannel=none:measure_overall=Peak_level+Number_of_samples",
        "-f", "null", "-",
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=MUSIC_DECODE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as e:
        raise _music_error(p, f"took longer than {MUSIC_DECODE_TIMEOUT:.0f} s to decode") from e
    log = proc.stderr.decode("utf-8", "replace")
    if _INPUT.search(log) is None:
        raise _music_error(p, "is not an audio file this tool can read")
    stream = _AUDIO_STREAM.search(log)
    if stream is None:
        raise _music_error(p, "has no audio stream (a video without sound, or not audio)")
    samples = _SAMPLES.findall(log)
    peaks = _PEAK.findall(log)
    if proc.returncode != 0 or not samples or not peaks or int(samples[-1]) == 0:
        raise _music_error(p, "does not decode (truncated, corrupt or not audio)")
    rate = int(stream.group("rate"))
    duration = int(samples[-1]) / rate
    peak_db = float(peaks[-1])
    if duration < MIN_MUSIC_SECONDS:
        raise _music_error(p, f"is only {duration:.2f} s long")
    if peak_db < SILENCE_DB:
        loudest = "no sound at all" if math.isinf(peak_db) else f"its loudest sample is {peak_db:.0f} dBFS"
        raise _music_error(p, f"is silent ({loudest})")
    return AudioInfo(
        duration=round(duration, 3),
        sample_rate=rate,
        channels=_channels(log, stream.end()),
        codec=stream.group("codec"),
        peak_db=round(peak_db, 2),
        size=size,
    )


_LAYOUTS = {"mono": 1, "stereo": 2, "quad": 4, "hexagonal": 6, "octagonal": 8, "hexadecagonal": 16, "downmix": 2}


def _channels(log: str, at: int) -> int:
    """The channel count from the stream line's layout ('stereo', '5.1(side)', '3 channels')."""
    rest = log[at : log.find("\n", at)]
    field = rest.split(",")[1].strip() if rest.count(",") >= 1 else ""
    if field in _LAYOUTS:
        return _LAYOUTS[field]
    numbered = re.match(r"(\d+) channels", field)
    if numbered:
        return int(numbered.group(1))
    dotted = re.match(r"(\d+)\.(\d+)", field)
    if dotted:
        return int(dotted.group(1)) + int(dotted.group(2))
    return 0


# --------------------------------------------------------------------------------------------- loudness
@dataclass(frozen=True)
class Loudness:
    """EBU R128 measurements of one audio stream."""

    integrated: float  # LUFS
    true_peak: float  # dBTP
    lra: float  # LU


_SUMMARY_I = re.compile(r"^\s*I:\s+(-?inf|-?[\d.]+) LUFS", re.MULTILINE)
_SUMMARY_LRA = re.compile(r"^\s*LRA:\s+(-?[\d.]+) LU\b", re.MULTILINE)
_SUMMARY_PEAK = re.compile(r"^\s*Peak:\s+(-?inf|-?[\d.]+) dBFS", re.MULTILINE)


def parse_ebur128(log: str) -> Loudness:
    """Read the Summary block that ffmpeg's `ebur128=peak=true` filter prints at the end of its stderr log.

    Raises ValueError when there is no complete summary. A silent input reads I = -70.0 LUFS (what ffmpeg prints)
    and a true peak of -inf; both are returned as they are.
    """
    at = log.rfind("Summary:")
    if at < 0:
        raise ValueError("no EBU R128 summary in the ffmpeg log (was the ebur128 filter in the graph?)")
    summary = log[at:]
    found = [rx.search(summary) for rx in (_SUMMARY_I, _SUMMARY_PEAK, _SUMMARY_LRA)]
    if any(m is None for m in found):
        raise ValueError("the EBU R128 summary lacks the integrated loudness, loudness range or true peak (peak=true)")
    integrated, peak, lra = (float(m.group(1)) for m in found if m is not None)
    return Loudness(integrated=integrated, true_peak=peak, lra=lra)


def measure_loudness(path: Path, *, stream: str = "a:0") -> Loudness:
    """Loudness (EBU R128 integrated, true peak, range) of one audio stream (`stream`, e.g. "a:0") of a file.

    Runs `ffmpeg -i path -map 0:<stream> -af ebur128=peak=true -f null -` (per-frame lines kept out of the log);
    MediaError if ffmpeg fails (no such stream, not a media file).
    """
    log = run_ffmpeg(
        ["-nostats", "-i", str(path), "-map", f"0:{stream}", "-af", "ebur128=peak=true:framelog=verbose",
         "-f", "null", "-"]
    )  # fmt: skip
    return parse_ebur128(log)
