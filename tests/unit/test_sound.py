"""The hook's synthesized sound and the checks on a user's music file, measured on real ffmpeg renders.

Every source is rendered exactly as the render engine uses it (`-f lavfi -i <source>`, one argv element, no shell)
to a 16-bit WAV, read back with `wave` and analysed with numpy: lengths, levels, onsets, loops, keys.
"""

from __future__ import annotations

import math
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hookforge.effects import sound
from hookforge.effects.sound import (
    BEDS,
    MAX_MUSIC_BYTES,
    SAMPLE_RATE,
    SFX_KINDS,
    Loudness,
    bed_source,
    check_music,
    measure_loudness,
    parse_ebur128,
    sfx_source,
)
from hookforge.errors import AudioInvalid, EffectsInvalid
from hookforge.media import run_ffmpeg

FRAME = SAMPLE_RATE // 30  # one video frame at 30 fps: the window onsets are found in
#: the key of each bed: its scale as pitch classes (C=0), and its tonic
KEYS = {
    "drive": ({9, 11, 0, 2, 4, 5, 7}, 9),  # A minor
    "swell": ({2, 4, 5, 7, 9, 10, 0}, 2),  # D minor
    "groove": ({4, 6, 7, 9, 11, 0, 2}, 4),  # E minor
    "soft": ({0, 2, 4, 5, 7, 9, 11}, 0),  # C major
}


def _render(source: str, out: Path) -> np.ndarray:
    """Render a lavfi source to a WAV as the engine would feed it to ffmpeg; samples as floats, shape (n, 2)."""
    run_ffmpeg(["-y", "-f", "lavfi", "-i", source, str(out)])
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, SAMPLE_RATE, 2)
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.reshape(-1, 2).astype(np.float64) / 32768


def _db(value: float) -> float:
    return 20 * math.log10(max(value, 1e-12))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def _windows(x: np.ndarray, size: int) -> np.ndarray:
    """RMS of consecutive windows of `size` samples (both channels together)."""
    n = len(x) // size
    return np.sqrt(np.mean(x[: n * size].reshape(n, size, 2) ** 2, axis=(1, 2)))


def _onset_window(x: np.ndarray) -> int:
    """The 1/30 s window with the largest rise of short-term RMS over the window before it."""
    energy = _windows(x, FRAME)
    return int(np.argmax(np.diff(energy, prepend=0.0)))


# --------------------------------------------------------------------------------------------- beds
@pytest.mark.parametrize("name", sorted(BEDS))
def test_bed_is_stereo_exact_length_and_audible_from_the_start(name: str, tmp_path: Path) -> None:
    duration = 3.7  # not a whole number of frames or beats: the source is trimmed to the sample
    x = _render(bed_source(name, duration), tmp_path / "bed.wav")

    assert abs(len(x) - duration * SAMPLE_RATE) <= SAMPLE_RATE / 1000
    first = x[: SAMPLE_RATE // 20]
    assert _db(np.abs(first).max()) > -20, "the first 50 ms must already be heard"
    assert _db(_rms(first)) > -40
    peak = _db(np.abs(x).max())
    assert -12 <= peak <= -1, f"{name} peaks at {peak:.1f} dBFS"
    assert np.mean(np.abs(x) > 0.999) == 0, "clipped samples"
    assert _rms(x[:, 0] - x[:, 1]) > 0.0005, "the two channels are identical: no stereo width"


def _chroma(x: np.ndarray) -> np.ndarray:
    """Energy per pitch class (C=0) of the spectral peaks between 100 Hz and 2 kHz, frame by frame (85 ms).

    Peaks, not all energy: a kick's glide or a hat's noise has no pitch, a note's partials do.
    """
    size = 4096
    freqs = np.fft.rfftfreq(size, 1 / SAMPLE_RATE)
    band = np.flatnonzero((freqs >= 100) & (freqs <= 2000))
    chroma = np.zeros(12)
    for start in range(0, len(x) - size, size // 2):
        power = (np.abs(np.fft.rfft(x[start : start + size] * np.hanning(size))) ** 2)[band]
        for i in range(1, len(power) - 1):
            if power[i] > power[i - 1] and power[i] >= power[i + 1] and power[i] > power.max() * 1e-3:
                # the peak's frequency between bins, by a parabola through the log powers around it
                a, b, c = np.log(power[i - 1 : i + 2] + 1e-30)
                offset = 0.5 * (a - c) / (a - 2 * b + c)
                freq = freqs[band[i]] + offset * freqs[1]
                chroma[round(69 + 12 * math.log2(freq / 440)) % 12] += power[i]
    return chroma / chroma.sum()


@pytest.mark.parametrize("name", sorted(BEDS))
def test_bed_notes_are_in_its_key_around_its_tonic(name: str, tmp_path: Path) -> None:
    chroma = _chroma(_render(bed_source(name, 8.0), tmp_path / "bed.wav").mean(axis=1))

    scale, tonic = KEYS[name]
    in_key = chroma[sorted(scale)].sum()
    assert in_key > 0.8, f"{name}: only {in_key:.0%} of its pitched energy is in its key"
    assert tonic in np.argsort(chroma)[-3:], f"{name}: its tonic is not among its three strongest pitch classes"


@pytest.mark.parametrize(("name", "bpm", "beats"), [("drive", 124, 1), ("groove", 100, 4)])
def test_bed_onsets_repeat_at_its_tempo(name: str, bpm: float, beats: int, tmp_path: Path) -> None:
    x = _render(bed_source(name, 6.0), tmp_path / "bed.wav")
    hop = SAMPLE_RATE // 200
    onsets = np.maximum(np.diff(_windows(x, hop)), 0)
    onsets -= onsets.mean()

    def correlation(seconds: float) -> float:
        lag = round(seconds * SAMPLE_RATE / hop)
        a, b = onsets[:-lag], onsets[lag:]
        return float((a * b).sum() / math.sqrt((a * a).sum() * (b * b).sum()))

    period = beats * 60 / bpm  # a four-on-the-floor beat repeats every beat, the groove every bar
    assert correlation(period) > 0.5
    assert correlation(period * 0.7) < 0.2


@pytest.mark.parametrize("duration", [4.0, 5.0])
def test_seamless_groove_loop_end_flows_into_its_start(duration: float, tmp_path: Path) -> None:
    x = _render(bed_source("groove", duration, seamless=True), tmp_path / "loop.wav")
    edge = SAMPLE_RATE // 10

    head, tail = _db(_rms(x[:edge])), _db(_rms(x[-edge:]))
    assert abs(head - tail) <= 3, f"first 100 ms {head:.1f} dB, last 100 ms {tail:.1f} dB"
    ordinary = np.percentile(np.abs(np.diff(x, axis=0)), 99)
    assert np.abs(x[0] - x[-1]).max() <= ordinary, "the waveform jumps at the loop point"


@pytest.mark.parametrize("duration", [4.0, 5.0])
def test_seamless_groove_fits_whole_bars_in_the_hook(duration: float, tmp_path: Path) -> None:
    x = _render(bed_source("groove", duration, seamless=True), tmp_path / "loop.wav")
    # the one-bar pattern is nudged to a tempo at which two bars fill the hook: the second half repeats the first
    half = len(x) // 2
    a, b = x[: half - SAMPLE_RATE // 100], x[half : 2 * half - SAMPLE_RATE // 100]  # minus the loop's faded edge

    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.99


@pytest.mark.parametrize("name", sorted(BEDS))
def test_seamless_bed_does_not_jump_at_the_loop_point(name: str, tmp_path: Path) -> None:
    x = _render(bed_source(name, 4.3, seamless=True), tmp_path / "loop.wav")

    assert abs(len(x) - 4.3 * SAMPLE_RATE) <= 1
    ordinary = np.percentile(np.abs(np.diff(x, axis=0)), 99)
    assert np.abs(x[0] - x[-1]).max() <= ordinary


def test_long_bed_is_its_pattern_looped_at_full_length(tmp_path: Path) -> None:
    x = _render(bed_source("drive", 20.0), tmp_path / "long.wav")

    assert abs(len(x) - 20 * SAMPLE_RATE) <= 1
    seconds = _windows(x, SAMPLE_RATE)
    assert seconds.min() > 0.5 * seconds.max(), "the bed fades or stops before the end"


def test_unknown_bed_is_refused_naming_the_choices() -> None:
    with pytest.raises(EffectsInvalid) as caught:
        bed_source("techno", 5.0)

    assert all(name in str(caught.value) for name in BEDS)


@pytest.mark.parametrize("duration", [0.0, -1.0, math.nan, math.inf])
def test_bed_of_impossible_length_is_refused(duration: float) -> None:
    with pytest.raises(EffectsInvalid):
        bed_source("soft", duration)


# --------------------------------------------------------------------------------------------- sound effects
@pytest.mark.parametrize("kind", SFX_KINDS)
@pytest.mark.parametrize("event", [0.0, 1.3, 2.0])
def test_sfx_onset_falls_on_its_event_frame(kind: str, event: float, tmp_path: Path) -> None:
    duration = 3.0
    x = _render(sfx_source(kind, event, duration), tmp_path / "sfx.wav")

    assert abs(len(x) - duration * SAMPLE_RATE) <= SAMPLE_RATE / 1000
    assert abs(_onset_window(x) - int(event * 30 + 1e-9)) <= 1
    starts = max(0.0, event - 1.0) if kind == "riser" else event
    before = x[: max(0, round((starts - 0.05) * SAMPLE_RATE))]
    if len(before):
        assert _db(np.abs(before).max()) < -60, "sound before the effect starts"
    peak = _db(np.abs(x).max())
    assert -8 <= peak <= -1, f"{kind} peaks at {peak:.1f} dBFS"


@pytest.mark.parametrize("event", [0.02, 0.25, 0.717])
def test_riser_near_the_start_is_shortened_and_still_hits_on_its_event(event: float, tmp_path: Path) -> None:
    x = _render(sfx_source("riser", event, 2.0), tmp_path / "riser.wav")
    onset = round(event * SAMPLE_RATE)

    assert abs(_onset_window(x) - int(event * 30)) <= 1
    if onset > FRAME:
        # the sweep runs from t=0 and is well audible in the frame before the hit
        assert _db(np.abs(x[onset - FRAME : onset]).max()) > -30, "the sweep before the hit is missing"
        assert np.abs(x[: SAMPLE_RATE // 100]).max() < np.abs(x[onset - FRAME : onset]).max() / 4, "it does not rise"


def test_impact_decays_within_half_a_second(tmp_path: Path) -> None:
    x = _render(sfx_source("impact", 0.5, 2.0), tmp_path / "impact.wav")
    frames = _windows(x, FRAME)
    hit = int(0.5 * 30)

    assert _db(frames[hit + 15]) < _db(frames[hit]) - 20  # 0.5 s later it has fallen by more than 20 dB


def test_whoosh_swells_after_its_attack_and_is_gone_by_half_a_second(tmp_path: Path) -> None:
    x = _render(sfx_source("whoosh", 1.0, 2.0), tmp_path / "whoosh.wav")
    frames = _windows(x, FRAME)

    assert frames[31:33].max() > frames[30], "no swell after the attack"
    assert _db(frames[45]) < _db(frames[30:34].max()) - 15


def test_sources_are_repeatable(tmp_path: Path) -> None:
    source = sfx_source("whoosh", 0.2, 1.0)

    assert np.array_equal(_render(source, tmp_path / "a.wav"), _render(source, tmp_path / "b.wav"))


def test_unknown_sfx_kind_is_refused_naming_the_choices() -> None:
    with pytest.raises(EffectsInvalid) as caught:
        sfx_source("explosion", 1.0, 3.0)

    assert all(kind in str(caught.value) for kind in SFX_KINDS)


@pytest.mark.parametrize("event", [-0.1, 3.0, 7.5, math.nan])
def test_sfx_outside_the_hook_is_refused(event: float) -> None:
    with pytest.raises(EffectsInvalid):
        sfx_source("impact", event, 3.0)


# --------------------------------------------------------------------------------------------- music files
def _ffmpeg_file(out: Path, *args: str) -> Path:
    run_ffmpeg(["-y", *args, str(out)])
    return out


@pytest.fixture(scope="module")
def music(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Given music files good and bad, all generated with ffmpeg (nothing downloaded)."""
    d = tmp_path_factory.mktemp("music")
    sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=3:sample_rate=44100"]
    png = _ffmpeg_file(d / "picture.png", "-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1")
    files = {
        "mp3": _ffmpeg_file(d / "song.mp3", *sine, "-ac", "2", "-c:a", "libmp3lame"),
        "m4a": _ffmpeg_file(d / "song.m4a", *sine, "-ac", "2", "-c:a", "aac"),
        "wav": _ffmpeg_file(d / "song.wav", *sine),
        "short": _ffmpeg_file(d / "short.wav", "-f", "lavfi", "-i", "sine=duration=0.5"),
        "silent": _ffmpeg_file(d / "silent.mp3", "-f", "lavfi", "-i", "anullsrc=cl=stereo", "-t", "3"),
        "video": _ffmpeg_file(
            d / "video.mp4",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=128x128:duration=2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ),  # fmt: skip
    }
    (d / "empty.mp3").write_bytes(b"")
    (d / "picture.mp3").write_bytes(png.read_bytes())
    (d / "notes.mp3").write_text("these are the lyrics, not the song\n")
    (d / "playlist.mp3").write_text("#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:9/segment.mp3\n")
    with open(d / "huge.mp3", "wb") as f:
        f.truncate(31 * 1024 * 1024)  # sparse: 31 MB that cost nothing
    for name in ("empty", "picture", "notes", "playlist", "huge"):
        files[name] = d / f"{name}.mp3"
    files["missing"] = d / "missing.mp3"
    return files


@pytest.mark.parametrize(("name", "codec", "channels"), [("mp3", "mp3", 2), ("m4a", "aac", 2), ("wav", "pcm_s16le", 1)])
def test_music_file_passes_with_its_decoded_length(
    music: dict[str, Path], name: str, codec: str, channels: int
) -> None:
    info = check_music(music[name])

    assert info.duration == pytest.approx(3.0, abs=0.05)
    assert (info.codec, info.channels, info.sample_rate) == (codec, channels, 44100)
    assert -30 < info.peak_db < 0
    assert info.size == music[name].stat().st_size


def test_music_file_name_with_a_colon_is_read_as_a_file(music: dict[str, Path], tmp_path: Path) -> None:
    odd = tmp_path / "take:2 -final.mp3"
    odd.write_bytes(music["mp3"].read_bytes())

    assert check_music(odd).duration == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("missing", "missing or empty"),
        ("empty", "missing or empty"),
        ("picture", "not an audio file"),
        ("notes", "not an audio file"),
        ("playlist", "not an audio file"),
        ("video", "no audio stream"),
        ("short", "only 0.50 s"),
        ("silent", "silent"),
        ("huge", "31.0 MB"),
    ],
)
def test_bad_music_file_is_refused_with_our_message(music: dict[str, Path], name: str, problem: str) -> None:
    with pytest.raises(AudioInvalid) as caught:
        check_music(music[name])

    message = str(caught.value)
    assert message.startswith(f"effects.music: {music[name].name} ")
    assert problem in message
    assert "use an MP3, M4A, WAV or OGG" in message
    assert "ffmpeg" not in message.lower() and "invalid data" not in message.lower()


def test_huge_music_file_is_refused_before_anything_is_decoded(
    music: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert music["huge"].stat().st_size > MAX_MUSIC_BYTES

    def no_decoding(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("ffmpeg was started for a file over the size limit")

    monkeypatch.setattr(sound.subprocess, "run", no_decoding)
    with pytest.raises(AudioInvalid, match="larger than the limit"):
        check_music(music["huge"])


def test_music_decoding_that_hangs_is_cut_off(music: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def hanging(cmd: list[str], **kwargs: Any) -> None:
        seen.update(kwargs)
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(sound.subprocess, "run", hanging)
    with pytest.raises(AudioInvalid, match="took longer than"):
        check_music(music["mp3"])
    assert 0 < seen["timeout"] <= 120


# --------------------------------------------------------------------------------------------- loudness
def _k_weighting_db(freq: float) -> float:
    """Gain of the ITU-R BS.1770 K-weighting filter (its 48 kHz coefficients) at `freq`."""
    z = np.exp(-2j * np.pi * freq / SAMPLE_RATE)
    shelf = np.polyval([1.19839281085285, -2.69169618940638, 1.53512485958697], z) / np.polyval(
        [0.73248077421585, -1.69065929318241, 1.0], z
    )
    highpass = np.polyval([1.0, -2.0, 1.0], z) / np.polyval([0.99007225036621, -1.99004745483398, 1.0], z)
    return float(20 * np.log10(abs(shelf * highpass)))


@pytest.fixture(scope="module")
def sine_20(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stereo 1 kHz sine peaking at -20 dBFS (amplitude 0.1), 5 s, as 32-bit float."""
    out = tmp_path_factory.mktemp("loud") / "sine.wav"
    tone = "0.1*sin(2*PI*1000*t)"
    return _ffmpeg_file(out, "-f", "lavfi", "-i", f"aevalsrc=exprs={tone}|{tone}:s=48000:d=5", "-c:a", "pcm_f32le")


def test_loudness_of_a_sine_is_what_ebu_r128_predicts(sine_20: Path) -> None:
    # BS.1770: L = -0.691 + 10 log10(sum over channels of the K-weighted mean square); a sine's is A^2/2
    predicted = -0.691 + 10 * math.log10(2 * 0.1**2 / 2) + _k_weighting_db(1000)

    loud = measure_loudness(sine_20)

    assert loud.integrated == pytest.approx(predicted, abs=0.5)
    assert loud.true_peak == pytest.approx(-20.0, abs=0.5)
    assert loud.lra == pytest.approx(0.0, abs=0.5)


def test_parse_ebur128_reads_a_real_summary(sine_20: Path) -> None:
    log = run_ffmpeg(["-nostats", "-i", str(sine_20), "-af", "ebur128=peak=true", "-f", "null", "-"])

    assert parse_ebur128(log) == measure_loudness(sine_20)


def test_parse_ebur128_returns_silence_as_ffmpeg_prints_it(tmp_path: Path) -> None:
    silent = _ffmpeg_file(tmp_path / "silence.wav", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "2")
    log = run_ffmpeg(["-nostats", "-i", str(silent), "-af", "ebur128=peak=true", "-f", "null", "-"])

    loud = parse_ebur128(log)

    assert loud.integrated == -70.0
    assert loud.true_peak == -math.inf


def test_parse_ebur128_without_a_summary_is_an_error() -> None:
    log = "Input #0, wav, from 'x.wav':\n  Stream #0:0: Audio: pcm_s16le, 48000 Hz, stereo\n"

    with pytest.raises(ValueError, match="no EBU R128 summary"):
        parse_ebur128(log)


def test_parse_ebur128_without_true_peak_is_an_error() -> None:
    log = "[Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -20.0 LUFS\n"

    with pytest.raises(ValueError):
        parse_ebur128(log)


def test_measured_bed_level_leaves_headroom_for_the_mix(tmp_path: Path) -> None:
    # the beds arrive at a pre-mix level: loud enough to measure, well under full scale
    out = tmp_path / "bed.wav"
    _render(bed_source("drive", 4.0), out)

    loud = measure_loudness(out)

    assert isinstance(loud, Loudness)
    assert -26 < loud.integrated < -10
    assert loud.true_peak < -1
