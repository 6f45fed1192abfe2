"""The artifacts bucket: one place that knows the key layout and how objects are read and written."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

_KEY_SAFE = "abcdefghijklmnopqrstuvwxyz0123456789-_"


def run_key(run_id: str, *parts: str) -> str:
    """`runs/<run_id>/<parts...>` — every artifact of one run lives under this prefix."""
    return "/".join(["runs", run_id, *parts])


class ArtifactStore:
    """Reads and writes objects in the artifacts bucket through an injected boto3 S3 client."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str | None = None, metadata: dict[str, str] | None = None
    ) -> str:
        ctype = content_type or mimetypes.guess_type(key)[0] or "application/octet-stream"
        extra: dict[str, Any] = {"ContentType": ctype}
        if metadata:
            extra["Metadata"] = {k: _ascii(v) for k, v in metadata.items()}
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)
        return key

    def put_json(self, key: str, value: Any) -> str:
        body = json.dumps(value, indent=2, sort_keys=True, default=str).encode()
        return self.put_bytes(key, body, content_type="application/json")

    def upload_file(self, path: str | Path, key: str, *, content_type: str | None = None) -> str:
        ctype = content_type or mimetypes.guess_type(str(path))[0] or "application/octet-stream"
        self.s3.upload_file(str(path), self.bucket, key, ExtraArgs={"ContentType": ctype})
        return key

    def get_bytes(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def open(self, key: str) -> tuple[Any, int]:
        """The object's body as a binary stream to read (and close), and its size in bytes, before reading any."""
        response = self.s3.get_object(Bucket=self.bucket, Key=key)
        return response["Body"], int(response["ContentLength"])

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def download_file(self, key: str, path: str | Path) -> Path:
        self.s3.download_file(self.bucket, key, str(path))
        return Path(path)

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def presign(self, key: str, *, expires: int = 3600) -> str:
        return self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires
        )


def _ascii(value: str) -> str:
    """S3 user metadata must be ASCII; keep it readable."""
    return value.encode("ascii", "replace").decode()[:1024]
