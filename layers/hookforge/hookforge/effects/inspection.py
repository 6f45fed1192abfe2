"""The looks at a clip a render starts with, all at once: its header, its whole decode, its subject, its loudness.

They are independent ffmpeg runs, so each runs in a thread of its own from the moment the `Inspection` is made. The
header (a few tens of milliseconds) is enough to plan the sound, which then starts while the probe still decodes and
the subject is still being found (only the picture's framing waits for it); the probe's verdict is taken before
anything is rendered (`Inspection.checked`).

This module imports nothing heavy (no pydantic model, Pillow, numpy or ffmpeg-python): `hookforge effects` makes its
`Inspection` first and imports the renderer while ffmpeg is already reading the clip. The threads are daemons, so a
command that fails on its own arguments meanwhile ends at once instead of waiting for a long clip's decode.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from hookforge.effects.focus import Focus, find_focus, focus_from_point
from hookforge.effects.sound import Loudness, measure_loudness
from hookforge.errors import VideoInvalid
from hookforge.media import MediaError, VideoInfo, declared_info, frame_at, probe

#: the longest clip a hook is made from (the rest of the pipeline makes 2-10 s clips)
MAX_INPUT_SECONDS = 60.0
MIN_INPUT_SECONDS = 0.5

T = TypeVar("T")


def check_source(info: VideoInfo) -> None:
    """VideoInvalid for a clip no hook is made from: longer than MAX_INPUT_SECONDS or shorter than MIN_INPUT_SECONDS."""
    if info.duration > MAX_INPUT_SECONDS:
        raise VideoInvalid(
            f"the clip is {info.duration:.1f}s long; hooks are made from clips of at most {MAX_INPUT_SECONDS:.0f}s"
        )
    if info.duration < MIN_INPUT_SECONDS:
        raise VideoInvalid(f"the clip is {info.duration:.2f}s long; it needs at least {MIN_INPUT_SECONDS}s")


def subject_focus(source: str | Path, focus: Focus | tuple[float, float] | None) -> Focus:
    """The brief's focus point, else the subject found in the clip's first frame (the still it was made from)."""
    if isinstance(focus, Focus):
        return focus
    if focus is not None:
        return focus_from_point(*focus)
    return find_focus(frame_at(source, 0.0))


def track_loudness(source: str | Path) -> Loudness | None:
    """The loudness of the first audio track of `source`; None when there is none or it cannot be read."""
    try:
        return measure_loudness(Path(source))
    except (MediaError, ValueError):  # no audio stream, or one that cannot be read
        return None


def _started(work: Callable[..., T], *args: object) -> Future[T]:
    """`work(*args)` running in a daemon thread of its own, as a Future."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(work(*args))
        except BaseException as e:  # handed to whoever takes the result
            future.set_exception(e)

    threading.Thread(target=run, name=f"hookforge-{work.__name__}", daemon=True).start()
    return future


class Inspection:
    """Everything a render looks at in its clip before it plans, started at once (see the module's note).

    Given `info` (the clip already probed) there is nothing to decode and no header to read. `focus` is the brief's
    focus (fractions or a `Focus`); without one the subject is found in the first frame. `sound=False` (a render
    without an audio track) skips the loudness.
    """

    def __init__(
        self,
        source: str | Path,
        *,
        info: VideoInfo | None = None,
        focus: Focus | tuple[float, float] | None = None,
        sound: bool = True,
    ) -> None:
        self.source = Path(source)
        self.info = info
        self.probed: Future[VideoInfo] | None = _started(probe, source) if info is None else None
        self.subject: Future[Focus] = _started(subject_focus, source, focus)
        self.loudness: Future[Loudness | None] | None = _started(track_loudness, source) if sound else None
        self.header: Future[VideoInfo | None] | None = _started(declared_info, source) if info is None else None

    def early(self) -> tuple[VideoInfo, Loudness | None]:
        """What the header says (checked: VideoInvalid for a clip no render can use), and the loudness of the clip's
        own sound (None without a track, or when the render has no sound). The probe may still be decoding."""
        early = self.info
        if early is None:
            assert self.header is not None and self.probed is not None
            early = self.header.result()
            if early is None:  # a header ffmpeg cannot read: the probe says why
                early = self.probed.result()
        check_source(early)
        clip = self.loudness.result() if self.loudness is not None and early.has_audio else None
        return early, clip

    def checked(self, early: VideoInfo, temp_files: Sequence[Path]) -> VideoInfo:
        """The probe's description of the clip (`early` when there was nothing to probe); its verdict on a broken
        clip is raised, after removing `temp_files` (the sound made meanwhile)."""
        try:
            info = self.probed.result() if self.probed is not None else early
            check_source(info)
        except BaseException:
            for temp in temp_files:
                temp.unlink(missing_ok=True)
            raise
        return info
