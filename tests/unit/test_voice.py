"""The spoken hook line: Polly (via botocore Stubber: moto has no synthesize_speech) and real espeak-ng."""

from __future__ import annotations

import io
import json
import re
import wave
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from hookforge.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderThrottled,
    ProviderUnavailable,
    VoiceoverInvalid,
    VoiceUnavailable,
)
from hookforge.media import run_ffmpeg
from hookforge.voice import (
    DEFAULT_VOICE,
    MAX_CHARS,
    VOICES,
    EspeakSpeaker,
    PollySpeaker,
    Speaker,
    Speech,
    check_voiceover,
)
from tests.unit.approval_env import captured_logs

ESPEAK = Path("/usr/bin/espeak-ng")
needs_espeak = pytest.mark.skipif(
    not ESPEAK.exists(), reason="espeak-ng is not installed; `make test` installs it (apt-get install espeak-ng)"
)

LINE = 'Stop scrolling, Mansfield: this café opens at six. "Really".'
SECRET_KEY = "AKIAIOSFODNN7EXAMPLE"
ARN = "arn:aws:iam::123456789012:user/ci-bot"


# --- helpers -------------------------------------------------------------------------------------------------------
def polly_client() -> Any:
    return boto3.client("polly", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def stream(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def word_marks(text: str, step_ms: int = 250) -> list[dict[str, Any]]:
    """Word marks as Polly writes them: bare words, UTF-8 byte offsets into the text, times in ms."""
    raw = text.encode("utf-8")
    marks = []
    for n, match in enumerate(re.finditer(r"[\w']+", text)):
        start = len(text[: match.start()].encode("utf-8"))
        end = start + len(match.group().encode("utf-8"))
        assert raw[start:end].decode("utf-8") == match.group()
        marks.append({"time": 6 + n * step_ms, "type": "word", "start": start, "end": end, "value": match.group()})
    return marks


def pcm_tone(tmp_path: Path, seconds: float) -> bytes:
    """Signed 16-bit little-endian mono at 16 kHz: what Polly returns for OutputFormat pcm."""
    out = tmp_path / "tone.pcm"
    run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=16000:duration={seconds}"]
        + ["-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", str(out)]
    )
    return out.read_bytes()


def request(voice: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"Engine": "neural", "VoiceId": voice, "Text": text, "TextType": "text", **extra}


def stub_success(stubber: Stubber, voice: str, text: str, pcm: bytes, *, billed: bool = True) -> None:
    marks = "\n".join(json.dumps(m) for m in word_marks(text)).encode("utf-8") + b"\n"
    marks_answer: dict[str, Any] = {"AudioStream": stream(marks), "ContentType": "application/x-json-stream"}
    audio_answer: dict[str, Any] = {"AudioStream": stream(pcm), "ContentType": "audio/pcm"}
    if billed:
        marks_answer["RequestCharacters"] = len(text)
        audio_answer["RequestCharacters"] = len(text)
    stubber.add_response(
        "synthesize_speech", marks_answer, request(voice, text, OutputFormat="json", SpeechMarkTypes=["word"])
    )
    stubber.add_response(
        "synthesize_speech", audio_answer, request(voice, text, OutputFormat="pcm", SampleRate="16000")
    )


def wav_facts(path: Path) -> tuple[int, int, float, int]:
    with wave.open(str(path), "rb") as w:
        frames = w.readframes(w.getnframes())
        peak = max(abs(int.from_bytes(frames[i : i + 2], "little", signed=True)) for i in range(0, len(frames), 2))
        return w.getframerate(), w.getnchannels(), w.getnframes() / w.getframerate(), peak


# --- check_voiceover -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_check_voiceover_refuses_when_text_is_empty(text: str) -> None:
    with pytest.raises(VoiceoverInvalid, match="effects.voiceover") as raised:
        check_voiceover(text, DEFAULT_VOICE)
    assert "empty" in str(raised.value)


def test_check_voiceover_refuses_when_text_is_over_pollys_limit() -> None:
    check_voiceover("a" * MAX_CHARS, DEFAULT_VOICE)  # exactly at the limit is fine
    with pytest.raises(VoiceoverInvalid, match="effects.voiceover") as raised:
        check_voiceover("a" * (MAX_CHARS + 1), DEFAULT_VOICE)
    assert "3,001 characters" in str(raised.value) and "3,000" in str(raised.value)


def test_check_voiceover_lists_choices_when_voice_is_unknown() -> None:
    with pytest.raises(VoiceoverInvalid, match="effects.voiceover") as raised:
        check_voiceover("Stop scrolling.", "Robotron")
    message = str(raised.value)
    assert "'Robotron'" in message and "hookforge voices" in message
    assert all(voice in message for voice in list(VOICES)[:10])


def test_check_voiceover_suggests_the_spelling_when_voice_case_differs() -> None:
    with pytest.raises(VoiceoverInvalid, match="did you mean 'Joanna'"):
        check_voiceover("Stop scrolling.", "joanna")


def test_voices_are_neural_english_ids_polly_knows_when_listed() -> None:
    known = polly_client().meta.service_model.shape_for("VoiceId").enum
    assert DEFAULT_VOICE == "Joanna" and DEFAULT_VOICE in VOICES
    assert len(VOICES) >= 19
    for voice_id, voice in VOICES.items():
        assert voice.id == voice_id and voice_id in known
        assert voice.language.startswith("en-") and voice.gender in ("Female", "Male")
        assert re.fullmatch(r"en(-[a-z]+)*\+[fm]\d", voice.espeak)


# --- Polly ---------------------------------------------------------------------------------------------------------
def test_polly_speech_is_timed_from_word_marks_when_synthesized(tmp_path: Path) -> None:
    # Given Polly answering word marks (250 ms apart) and two seconds of 16 kHz pcm
    client = polly_client()
    speaker = PollySpeaker(client)
    with Stubber(client) as stubber:
        stub_success(stubber, "Matthew", LINE, pcm_tone(tmp_path, 2.0))
        # When the line is spoken three words per caption
        with captured_logs() as logs:
            speech = speaker.synthesize(LINE, "Matthew", tmp_path / "out", words_per_caption=3)
        stubber.assert_no_pending_responses()
    # Then the cues follow the marks: 9 words -> 3 cues, each from its first word to the next cue (the last: the end)
    assert [(c.start, c.end) for c in speech.cues] == [(0.006, 0.756), (0.756, 1.506), (1.506, 2.0)]
    # and their text is the words as written, punctuation and the non-ASCII "café" (byte offsets) included
    assert [c.text for c in speech.cues] == ["Stop scrolling, Mansfield:", "this café opens", 'at six. "Really".']
    # and the audio is a 48 kHz mono WAV of the same two seconds
    rate, channels, seconds, peak = wav_facts(speech.path)
    assert (rate, channels) == (48_000, 1) and seconds == pytest.approx(2.0, abs=0.01)
    assert speech.duration == pytest.approx(seconds) and peak > 1000
    # and both requests are billed at the neural list price
    assert (speech.provider, speech.voice, speech.characters) == ("polly", "Matthew", 2 * len(LINE))
    assert speech.cost_usd == pytest.approx(speech.characters * 16e-6)
    # and the log carries the cost, not the line or the audio
    logged = [json.loads(line) for line in logs.getvalue().splitlines() if line.strip()]
    assert logged and logged[-1]["characters"] == 2 * len(LINE) and logged[-1]["provider"] == "polly"
    assert "Mansfield" not in logs.getvalue()


def test_polly_cues_group_words_when_words_per_caption_is_one(tmp_path: Path) -> None:
    client = polly_client()
    with Stubber(client) as stubber:
        stub_success(stubber, "Amy", "Hot coffee, fast.", pcm_tone(tmp_path, 1.0))
        speech = PollySpeaker(client).synthesize("Hot coffee, fast.", "Amy", tmp_path, words_per_caption=1)
    assert [c.text for c in speech.cues] == ["Hot", "coffee,", "fast."]
    assert [c.start for c in speech.cues] == [0.006, 0.256, 0.506]
    assert speech.cues[-1].end == pytest.approx(1.0, abs=0.01)
    assert all(a.end == b.start for a, b in zip(speech.cues, speech.cues[1:], strict=False))


def test_polly_characters_fall_back_to_text_length_when_not_reported(tmp_path: Path) -> None:
    client = polly_client()
    with Stubber(client) as stubber:
        stub_success(stubber, "Joanna", "Wait for it.", pcm_tone(tmp_path, 0.5), billed=False)
        speech = PollySpeaker(client).synthesize("Wait for it.", "Joanna", tmp_path)
    assert speech.characters == 2 * len("Wait for it.")
    assert speech.cost_usd == pytest.approx(24 * 16e-6)


def test_polly_is_never_called_when_voiceover_is_invalid(tmp_path: Path) -> None:
    client = polly_client()
    with Stubber(client) as stubber:  # no responses queued: any call would fail the stubber
        with pytest.raises(VoiceoverInvalid, match="unknown voice"):
            PollySpeaker(client).synthesize("Stop scrolling.", "Robotron", tmp_path)
        with pytest.raises(VoiceoverInvalid, match="characters"):
            PollySpeaker(client).synthesize("x" * (MAX_CHARS + 1), "Joanna", tmp_path)
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status", "expected", "words"),
    [
        ("ThrottlingException", 400, ProviderThrottled, "throttled"),
        ("ServiceFailureException", 500, ProviderUnavailable, "ServiceFailureException"),
        ("InternalServerError", 503, ProviderUnavailable, "try later"),
        ("TextLengthExceededException", 400, VoiceoverInvalid, "effects.voiceover"),
        ("InvalidSampleRateException", 400, VoiceoverInvalid, "effects.voiceover"),
        ("LexiconNotFoundException", 404, VoiceoverInvalid, "effects.voiceover"),
        ("InvalidSsmlException", 400, VoiceoverInvalid, "effects.voiceover"),
        ("EngineNotSupportedException", 400, VoiceoverInvalid, "'Kevin'"),
        ("AccessDeniedException", 403, ProviderAuthError, "polly:SynthesizeSpeech"),
        ("UnrecognizedClientException", 403, ProviderAuthError, "polly:SynthesizeSpeech"),
        ("MarksNotSupportedForFormatException", 400, ProviderError, "MarksNotSupportedForFormatException"),
    ],
)
def test_polly_error_is_named_when_synthesize_speech_fails(
    tmp_path: Path, code: str, status: int, expected: type, words: str
) -> None:
    # Given Polly failing with a message that echoes the caller's identity, a key id and the line itself
    client = polly_client()
    text = "Secret launch: Mansfield café"
    message = f"User: {ARN} with key {SECRET_KEY} failed on {text}"
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "synthesize_speech", service_error_code=code, service_message=message, http_status_code=status
        )
        # When the voiceover is spoken
        with pytest.raises(expected) as raised:
            PollySpeaker(client).synthesize(text, "Kevin", tmp_path)
    # Then the named error says what to do, and leaks neither credentials nor the line
    error = str(raised.value)
    assert type(raised.value) is expected and words in error
    assert text not in error
    if expected is ProviderAuthError:
        assert ARN not in error and SECRET_KEY not in error
        assert "polly:SynthesizeSpeech" in raised.value.hint
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_polly_error_is_named_when_audio_call_fails_after_marks(tmp_path: Path) -> None:
    client = polly_client()
    marks = json.dumps(word_marks("Go now.")[0]).encode()
    with Stubber(client) as stubber:
        stubber.add_response(
            "synthesize_speech",
            {"AudioStream": stream(marks), "ContentType": "application/x-json-stream", "RequestCharacters": 7},
        )
        stubber.add_client_error("synthesize_speech", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(ProviderThrottled):
            PollySpeaker(client).synthesize("Go now.", "Joanna", tmp_path)
        stubber.assert_no_pending_responses()


class _Broken:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def synthesize_speech(self, **_: Any) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (EndpointConnectionError(endpoint_url="https://polly.us-east-1.amazonaws.com"), ProviderUnavailable),
        (NoCredentialsError(), ProviderAuthError),
    ],
)
def test_polly_error_is_named_when_aws_is_unreachable(tmp_path: Path, error: Exception, expected: type) -> None:
    with pytest.raises(expected, match="Polly"):
        PollySpeaker(_Broken(error)).synthesize("Go now.", "Joanna", tmp_path)


def test_polly_error_is_named_when_marks_are_not_json_lines(tmp_path: Path) -> None:
    client = polly_client()
    with Stubber(client) as stubber:
        stubber.add_response(
            "synthesize_speech", {"AudioStream": stream(b"<html>oops</html>"), "ContentType": "text/html"}
        )
        stubber.add_response("synthesize_speech", {"AudioStream": stream(b"\0\0" * 800), "ContentType": "audio/pcm"})
        with pytest.raises(ProviderError, match="speech marks"):
            PollySpeaker(client).synthesize("Go now.", "Joanna", tmp_path)


# --- espeak-ng -----------------------------------------------------------------------------------------------------
@needs_espeak
def test_espeak_speech_cues_cover_the_speech_when_synthesized(tmp_path: Path) -> None:
    # Given a hook line of 11 words
    text = "Stop scrolling. This mug keeps coffee hot for twelve hours, honestly."
    speaker: Speaker = EspeakSpeaker()
    # When espeak-ng speaks it three words per caption
    speech = speaker.synthesize(text, "Joanna", tmp_path, words_per_caption=3)
    # Then it is an honest, free, 48 kHz WAV of real speech
    assert isinstance(speech, Speech)
    assert (speech.provider, speech.voice, speech.characters, speech.cost_usd) == ("espeak", "Joanna", len(text), 0.0)
    rate, channels, seconds, peak = wav_facts(speech.path)
    assert (rate, channels) == (48_000, 1) and peak > 3000
    assert speech.duration == pytest.approx(seconds) and speech.duration > 0.5
    # and the cues are the text in chunks, increasing, back to back, from 0 to the end of the speech
    assert [c.text for c in speech.cues] == [
        "Stop scrolling. This",
        "mug keeps coffee",
        "hot for twelve",
        "hours, honestly.",
    ]
    assert speech.cues[0].start == 0.0 and speech.cues[-1].end == pytest.approx(speech.duration, abs=0.002)
    assert all(c.start < c.end for c in speech.cues)
    assert all(a.end == b.start for a, b in zip(speech.cues, speech.cues[1:], strict=False))
    # and each chunk lasts about as long as its words take to say (leading/trailing silence trimmed)
    assert all(0.3 < c.end - c.start < 2.5 for c in speech.cues)
    assert not [p.name for p in tmp_path.iterdir() if p.name != "voiceover.wav"]  # intermediates cleaned up


@needs_espeak
def test_espeak_speaks_literally_when_text_starts_with_dash_or_has_quotes(tmp_path: Path) -> None:
    # Given text that would be options, a phoneme escape or shell syntax if anything interpreted it
    evil = tmp_path / "evil.wav"
    text = f'-w {evil} --help "quoted" it\'s $(touch {tmp_path / "pwned"}) [[h@l]]'
    # When it is spoken
    speech = EspeakSpeaker().synthesize(text, "Brian", tmp_path / "out", words_per_caption=2)
    # Then no option or shell ran, and every word was spoken as a caption
    assert not evil.exists() and not (tmp_path / "pwned").exists()
    assert " ".join(c.text for c in speech.cues) == " ".join(text.split())
    assert speech.duration > 0.5 and all(c.start < c.end for c in speech.cues)


def test_espeak_is_unavailable_when_executable_is_missing(tmp_path: Path) -> None:
    with pytest.raises(VoiceUnavailable, match="apt-get install espeak-ng"):
        EspeakSpeaker(executable=str(tmp_path / "no-espeak-ng")).synthesize("Stop scrolling.", "Joanna", tmp_path)


def test_espeak_is_unavailable_when_not_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(VoiceUnavailable, match="apt-get install espeak-ng"):
        EspeakSpeaker().synthesize("Stop scrolling.", "Joanna", tmp_path)


def test_espeak_refuses_when_words_per_caption_is_zero(tmp_path: Path) -> None:
    with pytest.raises(VoiceoverInvalid, match="words_per_caption"):
        EspeakSpeaker().synthesize("Stop scrolling.", "Joanna", tmp_path, words_per_caption=0)
