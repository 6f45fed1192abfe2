"""What a local command puts into the bucket before the service runs it: a brief (with the music it names by path)
and the user's own images. Shared by the engine and its clients; no moto, no engine.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import yaml


def safe_name(filename: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)
    return keep.strip(".-")[:80] or "brief.json"


def stage_brief(store: Any, brief: Path | bytes, filename: str | None = None) -> str:
    """Put a brief into briefs/ (as an S3 upload would) and return its key."""
    if isinstance(brief, bytes):
        data, filename = brief, filename or "brief.json"
    else:
        data = stage_music(store, Path(brief).read_bytes(), Path(brief).parent)
        filename = filename or Path(brief).name
    key = f"briefs/{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}-{safe_name(filename)}"
    store.put_bytes(key, data)
    return key


def stage_music(store: Any, data: bytes, brief_dir: Path) -> bytes:
    """A local brief may name its music by path (relative to the brief or the working directory): the file is
    copied to the bucket's audio/ (as a user would upload it) and the brief points at that key. A name already
    in the bucket (`audio/...`) needs no copy."""
    try:
        parsed = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return data  # ValidateBrief names the problem
    effects = parsed.get("effects") if isinstance(parsed, dict) else None
    if not isinstance(effects, dict):
        return data
    music = effects.get("music")
    if not isinstance(music, str) or music.startswith("audio/"):
        return data
    for candidate in (brief_dir / music, Path(music)):
        if candidate.is_file():
            key = f"audio/{safe_name(candidate.name)}"
            store.upload_file(candidate, key)
            effects["music"] = key
            return json.dumps(parsed).encode("utf-8")
    return data


def check_upload(path: Path) -> bytes:
    """An image of the user's, checked as the upload provider checks it; its bytes, or ImageInvalid."""
    from hookforge.errors import ImageInvalid
    from hookforge.providers.upload import MAX_UPLOAD_BYTES, check_user_image

    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:  # before reading it: the file may be huge
        raise ImageInvalid(f"{path} is {size / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    data = path.read_bytes()
    try:
        check_user_image(data, str(path))
    except ImageInvalid as e:
        raise ImageInvalid(f"{e}; nothing was uploaded") from e
    return data
