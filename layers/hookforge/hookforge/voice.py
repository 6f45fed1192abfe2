"""The spoken hook line (effects.voiceover): speech audio plus caption cues timed from the speech itself.

In AWS, Amazon Polly's neural voices speak the line and Polly's word speech marks time the captions. Locally (no AWS
account) Debian's espeak-ng speaks it under its own name ("espeak"), so nobody mistakes the robot for Polly; it keeps
the Polly voice id that was asked for and picks a matching espeak-ng accent and pitch for it.

Both speakers write a 48 kHz WAV (the rate the effects engine mixes at) and never run a shell.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from hookforge.errors import (
    EffectsFailed,
    ProviderAuthError,
    ProviderError,
    ProviderThrottled,
    ProviderUnavailable,
    VoiceoverInvalid,
    VoiceUnavailable,
)
from hookforge.media import MediaError, run_ffmpeg
from hookforge.observability import logger
from hookforge.suggest import closest

#: every voiceover WAV hookforge writes is 48 kHz, the rate the effects engine mixes music and speech at
SAMPLE_RATE = 48_000
#: Polly's SynthesizeSpeech limit: 3000 billed characters per request (6000 in total; SSML tags are not billed, and
#: hookforge sends plain text, so every character is billed)
MAX_CHARS = 3000
#: Polly neural list price: US$16.00 per 1 million characters, billed for audio and for speech-mark requests alike
POLLY_NEURAL_USD_PER_CHAR = 16.0 / 1_000_000
DEFAULT_VOICE = "Joanna"
WAV_NAME = "voiceover.wav"


@dataclass(frozen=True)
class Cue:
    """One caption chunk: seconds from the start of the speech, and the words shown."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Speech:
    """A spoken voiceover: the WAV, its length, the caption cues timed from it, and what it cost."""

    path: Path
    duration: float
    cues: list[Cue]
    provider: str
    voice: str
    characters: int
    cost_usd: float


@dataclass(frozen=True)
class Voice:
    """A Polly neural voice hookforge offers, and the espeak-ng voice that stands in for it locally."""

    id: str
    language: str
    gender: Literal["Female", "Male"]
    espeak: str


def _voices(*rows: tuple[str, str, Literal["Female", "Male"], str]) -> dict[str, Voice]:
    return {row[0]: Voice(*row) for row in rows}


#: Polly neural voices hookforge offers, English first (Amazon Polly Developer Guide, "Available voices" / "Neural
#: voices"; every id is in botocore's polly VoiceId enum). espeak-ng has no Australian, New Zealand, South African,
#: Indian or Irish accent, so those stand in with British English; the +fN/+mN variants keep voices apart by ear.
VOICES: dict[str, Voice] = _voices(
    ("Joanna", "en-US", "Female", "en-us+f3"),
    ("Matthew", "en-US", "Male", "en-us+m3"),
    ("Ruth", "en-US", "Female", "en-us+f2"),
    ("Stephen", "en-US", "Male", "en-us+m1"),
    ("Danielle", "en-US", "Female", "en-us+f4"),
    ("Gregory", "en-US", "Male", "en-us+m2"),
    ("Kendra", "en-US", "Female", "en-us+f1"),
    ("Kimberly", "en-US", "Female", "en-us+f5"),
    ("Salli", "en-US", "Female", "en-us+f2"),
    ("Joey", "en-US", "Male", "en-us+m4"),
    ("Kevin", "en-US", "Male", "en-us+m5"),
    ("Amy", "en-GB", "Female", "en-gb+f3"),
    ("Emma", "en-GB", "Female", "en-gb+f2"),
    ("Brian", "en-GB", "Male", "en-gb+m3"),
    ("Arthur", "en-GB", "Male", "en-gb-x-rp+m1"),
    ("Olivia", "en-AU", "Female", "en-gb+f4"),
    ("Aria", "en-NZ", "Female", "en-gb+f1"),
    ("Ayanda", "en-ZA", "Female", "en-gb+f5"),
    ("Kajal", "en-IN", "Female", "en-gb+f3"),
    ("Niamh", "en-IE", "Female", "en-gb+f2"),
)


def check_voiceover(text: str, voice: str) -> None:
    """Check a voiceover before any render or paid call; VoiceoverInvalid (naming effects.voiceover) if it is bad.

    Refuses empty text, text over Polly's per-request limit (MAX_CHARS) and a voice hookforge does not offer.
    """
    if not text or not text.strip():
        raise VoiceoverInvalid("effects.voiceover: the text is empty; give the line to speak or drop the voiceover")
    if len(text) > MAX_CHARS:
        raise VoiceoverInvalid(
            f"effects.voiceover: the text is {len(text):,} characters; the limit is {MAX_CHARS:,} per voiceover"
        )
    if voice not in VOICES:
        near = closest(voice, VOICES)
        hint = f" (did you mean {near!r}?)" if near else ""
        listed = ", ".join(list(VOICES)[:10])
        raise VoiceoverInvalid(
            f"effects.voiceover: unknown voice {str(voice)[:40]!r}{hint}; choose one of {listed}, ... "
            f"({len(VOICES)} in all: run `hookforge voices`)"
        )


def _check_grouping(words_per_caption: int) -> None:
    if words_per_caption < 1:
        raise VoiceoverInvalid(f"effects.voiceover: words_per_caption must be at least 1, not {words_per_caption}")


class Speaker(Protocol):
    """Something that speaks a voiceover into `out_dir` and times its captions."""

    name: str

    def synthesize(self, text: str, voice: str, out_dir: Path, *, words_per_caption: int = 3) -> Speech: ...


# --- Amazon Polly -----------------------------------------------------------------------------------------------
_THROTTLED = {"ThrottlingException", "Throttling", "TooManyRequestsException"}
_UNAVAILABLE = {"ServiceFailureException", "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure"}
_AUTH = {
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "ExpiredToken",
    "ExpiredTokenException",
    "MissingAuthenticationToken",
}
_INVALID = {
    "TextLengthExceededException",
    "InvalidSampleRateException",
    "LexiconNotFoundException",
    "InvalidSsmlException",
    "LanguageNotSupportedException",
}
_POLLY_PCM_RATE = 16_000  # Polly's pcm is signed 16-bit little-endian mono; 16 kHz is the highest pcm rate it offers


@dataclass(frozen=True)
class _Mark:
    time: float  # seconds
    start: int  # byte offsets of the word in the UTF-8 text
    end: int
    value: str


class PollySpeaker:
    """Amazon Polly neural voices; word speech marks time the captions."""

    name: str = "polly"

    def __init__(self, client: Any) -> None:
        """`client` is a boto3 polly client (tests pass one wrapped in botocore's Stubber)."""
        self.client = client

    def synthesize(self, text: str, voice: str, out_dir: Path, *, words_per_caption: int = 3) -> Speech:
        """Speak `text` with Polly voice `voice` into `out_dir`/voiceover.wav (48 kHz mono).

        Two SynthesizeSpeech calls (both billed): word speech marks (json lines), then 16 kHz pcm audio, converted
        with ffmpeg. Cues group consecutive words by `words_per_caption`; each starts at its first word's mark and
        ends where the next begins (the last at the end of the speech). Polly's errors become hookforge's named
        errors; nothing is logged but the voice, characters, cost and duration.
        """
        check_voiceover(text, voice)
        _check_grouping(words_per_caption)
        common = {"Engine": "neural", "VoiceId": voice, "Text": text, "TextType": "text"}
        marks_answer = self._call(voice, OutputFormat="json", SpeechMarkTypes=["word"], **common)
        audio_answer = self._call(voice, OutputFormat="pcm", SampleRate=str(_POLLY_PCM_RATE), **common)
        marks = _parse_marks(marks_answer["body"])
        if not audio_answer["body"]:
            raise ProviderError(f"Polly returned no audio for voice {voice}; try again or another voice")

        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / WAV_NAME
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".polly-") as tmp:
            raw = Path(tmp) / "speech.pcm"
            raw.write_bytes(audio_answer["body"])
            _to_wav48(["-f", "s16le", "-ar", str(_POLLY_PCM_RATE), "-ac", "1", "-i", str(raw)], path)
        duration = _wav_duration(path)
        cues = _cues_from_marks(text, marks, words_per_caption, duration)
        characters = marks_answer["characters"] + audio_answer["characters"]
        cost = characters * POLLY_NEURAL_USD_PER_CHAR
        logger.info(
            "voiceover spoken",
            extra={
                "provider": self.name,
                "voice": voice,
                "characters": characters,
                "cost_usd": round(cost, 6),
                "duration_s": round(duration, 3),
                "cues": len(cues),
            },
        )
        return Speech(
            path=path,
            duration=duration,
            cues=cues,
            provider=self.name,
            voice=voice,
            characters=characters,
            cost_usd=cost,
        )

    def _call(self, voice: str, **params: Any) -> dict[str, Any]:
        """One SynthesizeSpeech call: the whole body and the characters Polly billed for it."""
        try:
            response = self.client.synthesize_speech(**params)
            stream = response["AudioStream"]
            try:
                body = stream.read()
            finally:
                stream.close()
        except ClientError as e:
            raise _polly_error(e, voice=voice, text=str(params.get("Text", ""))) from e
        except NoCredentialsError as e:
            raise ProviderAuthError(
                "Polly: no AWS credentials were found; give the function a role allowing polly:SynthesizeSpeech"
            ) from e
        except BotoCoreError as e:
            # connection and read timeouts, a dropped stream: transient, the state machine retries
            raise ProviderUnavailable(f"Polly could not be reached ({type(e).__name__}); retried later") from e
        billed = response.get("RequestCharacters")
        characters = billed if isinstance(billed, int) and billed >= 0 else len(str(params.get("Text", "")))
        return {"body": body, "characters": characters}


def _polly_error(e: ClientError, *, voice: str, text: str) -> ProviderError | VoiceoverInvalid:
    """The named error for a failed SynthesizeSpeech call.

    AWS's own message is kept only where it helps and never for auth failures (it names the caller's ARN and
    account); the voiceover text is cut out of it in any case.
    """
    error = e.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    message = str(error.get("Message", ""))
    if text.strip():
        message = message.replace(text, "<voiceover text>")
    message = message[:200]
    if code in _THROTTLED or status == 429:
        return ProviderThrottled(f"Polly throttled SynthesizeSpeech ({code or status}); retried with backoff")
    if code in _AUTH or status in (401, 403):
        return ProviderAuthError(
            f"Polly refused SynthesizeSpeech ({code or status}); allow polly:SynthesizeSpeech for the function's role",
            hint="Grant the role the IAM action polly:SynthesizeSpeech, or run locally where espeak-ng speaks.",
        )
    if code in _UNAVAILABLE or status >= 500:
        return ProviderUnavailable(f"Polly could not speak the voiceover ({code or status}: {message}); try later")
    if code == "EngineNotSupportedException":
        return VoiceoverInvalid(
            f"effects.voiceover: Polly cannot speak voice {voice!r} with the neural engine here ({code}); "
            "pick another voice (`hookforge voices`) or use a Region with neural voices"
        )
    if code in _INVALID:
        return VoiceoverInvalid(f"effects.voiceover: Polly refused the line for voice {voice!r} ({code}: {message})")
    return ProviderError(f"Polly refused SynthesizeSpeech for voice {voice!r} ({code or status}: {message})")


def _parse_marks(body: bytes) -> list[_Mark]:
    """Word marks from Polly's json output: one JSON object per line."""
    marks: list[_Mark] = []
    try:
        lines = body.decode("utf-8").splitlines()
        for line in lines:
            if not line.strip():
                continue
            mark = json.loads(line)
            if not isinstance(mark, dict) or mark.get("type") != "word":
                continue
            marks.append(
                _Mark(
                    time=float(mark["time"]) / 1000.0,
                    start=int(mark["start"]),
                    end=int(mark["end"]),
                    value=str(mark["value"]),
                )
            )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise ProviderError(f"Polly answered speech marks hookforge cannot read ({type(e).__name__})") from e
    return sorted(marks, key=lambda m: m.time)


def _char_offsets(text: str) -> dict[int, int]:
    """UTF-8 byte offset -> character index, for every character boundary (Polly's marks count bytes)."""
    offsets: dict[int, int] = {}
    position = 0
    for index, char in enumerate(text):
        offsets[position] = index
        position += len(char.encode("utf-8"))
    offsets[position] = len(text)
    return offsets


def _cues_from_marks(text: str, marks: list[_Mark], per: int, duration: float) -> list[Cue]:
    if not marks:  # nothing Polly counts as a word (e.g. only punctuation): one caption over the whole speech
        return [Cue(0.0, round(duration, 3), text.strip())]
    offsets = _char_offsets(text)
    spans = [(offsets.get(m.start), offsets.get(m.end)) for m in marks]
    groups = [list(range(i, min(i + per, len(marks)))) for i in range(0, len(marks), per)]
    starts = [min(max(marks[g[0]].time, 0.0), duration) for g in groups]
    for i in range(1, len(starts)):  # marks come sorted; this only guards against equal or clamped times
        starts[i] = max(starts[i], starts[i - 1])
    cues: list[Cue] = []
    for n, group in enumerate(groups):
        end = starts[n + 1] if n + 1 < len(groups) else max(duration, starts[n])
        cues.append(Cue(round(starts[n], 3), round(end, 3), _cue_text(text, marks, spans, group)))
    return cues


def _cue_text(text: str, marks: list[_Mark], spans: list[tuple[int | None, int | None]], group: list[int]) -> str:
    """The group's words as written, punctuation included ("Stop," not "Stop"); mark values if offsets do not fit."""
    first, last = spans[group[0]][0], spans[group[-1]][1]
    if first is None or last is None or first > last:
        return " ".join(marks[i].value for i in group)
    previous_end = spans[group[0] - 1][1] if group[0] > 0 else 0
    next_start = spans[group[-1] + 1][0] if group[-1] + 1 < len(spans) else len(text)
    low = previous_end if previous_end is not None and previous_end <= first else 0
    high = next_start if next_start is not None and next_start >= last else len(text)
    # widen to the whole whitespace-separated tokens: an opening quote before, a comma or full stop after
    while first > low and not text[first - 1].isspace():
        first -= 1
    while last < high and not text[last].isspace():
        last += 1
    return " ".join(text[first:last].split()) or " ".join(marks[i].value for i in group)


# --- espeak-ng ----------------------------------------------------------------------------------------------------
ESPEAK_RATE = 165  # words per minute: a brisk ad read without slurring
CHUNK_GAP_S = 0.08  # the breath between caption chunks spoken separately
_SILENCE = int(32768 * 10 ** (-40 / 20))  # -40 dBFS: below this a sample counts as silence when trimming
_EDGE_S = 0.01  # keep 10 ms around the sound so consonant onsets and releases are not clipped


class EspeakSpeaker:
    """Debian's espeak-ng, for local runs without an AWS account; free, robotic, and labelled "espeak"."""

    name: str = "espeak"

    def __init__(self, *, executable: str | None = None) -> None:
        """`executable` defaults to espeak-ng on PATH; a missing one is reported when speaking, not here."""
        self.executable = executable if executable is not None else shutil.which("espeak-ng")

    def synthesize(self, text: str, voice: str, out_dir: Path, *, words_per_caption: int = 3) -> Speech:
        """Speak `text` into `out_dir`/voiceover.wav (48 kHz mono) with the espeak-ng voice standing in for `voice`.

        espeak-ng's command line gives no word timings, so each caption chunk is spoken on its own, trimmed of
        leading and trailing silence and joined with a short gap; the cues are timed from the chunk lengths.
        """
        check_voiceover(text, voice)
        _check_grouping(words_per_caption)
        executable = self.executable
        if not executable:
            raise VoiceUnavailable(
                "espeak-ng is not installed, so no voiceover can be spoken locally: apt-get install espeak-ng"
            )
        words = text.split()
        chunks = [" ".join(words[i : i + words_per_caption]) for i in range(0, len(words), words_per_caption)]
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / WAV_NAME
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".espeak-") as tmp:
            rate = 0
            pieces: list[array[int]] = []
            for n, chunk in enumerate(chunks):
                chunk_wav = Path(tmp) / f"chunk{n:03d}.wav"
                self._speak(executable, VOICES[voice].espeak, chunk, chunk_wav)
                chunk_rate, samples = _read_mono16(chunk_wav)
                if rate and chunk_rate != rate:
                    raise VoiceUnavailable(f"espeak-ng wrote chunks at {rate} and {chunk_rate} Hz; cannot join them")
                rate = chunk_rate
                pieces.append(_trim_silence(samples, rate))
            gap = array("h", bytes(2 * round(CHUNK_GAP_S * rate)))
            joined: array[int] = array("h")
            starts: list[float] = []
            for n, piece in enumerate(pieces):
                if n:
                    joined.extend(gap)
                starts.append(len(joined) / rate)
                joined.extend(piece)
            whole = Path(tmp) / "speech.wav"
            _write_mono16(whole, rate, joined)
            _to_wav48(["-i", str(whole)], path)
        duration = _wav_duration(path)
        cues = [
            Cue(round(start, 3), round(starts[n + 1] if n + 1 < len(starts) else max(duration, start), 3), chunk)
            for n, (start, chunk) in enumerate(zip(starts, chunks, strict=True))
        ]
        logger.info(
            "voiceover spoken",
            extra={
                "provider": self.name,
                "voice": voice,
                "espeak_voice": VOICES[voice].espeak,
                "characters": len(text),
                "cost_usd": 0.0,
                "duration_s": round(duration, 3),
                "cues": len(cues),
            },
        )
        return Speech(
            path=path, duration=duration, cues=cues, provider=self.name, voice=voice, characters=len(text), cost_usd=0.0
        )

    def _speak(self, executable: str, espeak_voice: str, chunk: str, out: Path) -> None:
        # "--" ends the options, so a chunk such as "-w /etc/x" or "--help" is spoken, not obeyed; "[[" would switch
        # espeak-ng to phoneme input, so it is split to keep the words literal. No shell ever sees the text.
        literal = chunk.replace("[[", "[ [")
        cmd = [executable, "-v", espeak_voice, "-s", str(ESPEAK_RATE), "-w", str(out), "--", literal]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
        except FileNotFoundError as e:
            raise VoiceUnavailable(
                f"espeak-ng was not found at {executable}: apt-get install espeak-ng (or drop effects.voiceover)"
            ) from e
        except subprocess.TimeoutExpired as e:
            raise VoiceUnavailable("espeak-ng took longer than 60 s to speak one caption chunk") from e
        if proc.returncode != 0 or not out.exists() or out.stat().st_size <= 44:
            reason = proc.stderr.decode("utf-8", "replace").strip()[:200] or f"exit {proc.returncode}, no audio"
            raise VoiceUnavailable(f"espeak-ng could not speak with voice {espeak_voice!r}: {reason}")


# --- audio plumbing -----------------------------------------------------------------------------------------------
def _to_wav48(inputs: list[str], out: Path) -> None:
    """Convert whatever `inputs` open into a 48 kHz mono 16-bit WAV at `out`."""
    try:
        run_ffmpeg(["-y", *inputs, "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", str(out)], timeout=120)
    except MediaError as e:
        raise EffectsFailed(f"effects.voiceover: ffmpeg could not convert the speech to 48 kHz WAV ({e})") from e


def _wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _read_mono16(path: Path) -> tuple[int, array[int]]:
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                raise VoiceUnavailable(f"espeak-ng wrote {w.getnchannels()}-channel {8 * w.getsampwidth()}-bit audio")
            rate, frames = w.getframerate(), w.readframes(w.getnframes())
    except (wave.Error, EOFError) as e:
        raise VoiceUnavailable(f"espeak-ng wrote a WAV hookforge cannot read ({e})") from e
    samples = array("h", frames)
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    return rate, samples


def _write_mono16(path: Path, rate: int, samples: array[int]) -> None:
    data = array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def _trim_silence(samples: array[int], rate: int) -> array[int]:
    """Cut leading and trailing silence (keeping a few ms of edge); a chunk with no sound at all is kept as is."""
    first = next((i for i, s in enumerate(samples) if abs(s) > _SILENCE), None)
    if first is None:
        return samples
    last = next(i for i in range(len(samples) - 1, first - 1, -1) if abs(samples[i]) > _SILENCE)
    edge = round(_EDGE_S * rate)
    return samples[max(0, first - edge) : min(len(samples), last + 1 + edge)]
