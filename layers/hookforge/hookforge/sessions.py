"""boto3 sessions that share one parsed copy of botocore's service models.

A new boto3 session parses botocore's JSON again for every client it makes (the service's model and endpoint rules,
botocore's endpoints and defaults): about 0.1 s a client. The sessions made here each keep their own credentials,
region and configuration, read when the session is made, but they all read models through one data loader, so a
process parses each model once and a client then takes about 20 ms to make. The models are read-only data: the
clients of one ordinary session share them in the same way.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import botocore.session

_lock = threading.Lock()
_loader: Any = None


def boto_session(**kwargs: Any) -> boto3.session.Session:
    """A boto3 Session (same arguments) whose botocore session reads models through the process's shared loader."""
    global _loader
    core = botocore.session.Session()
    with _lock:
        if _loader is None:
            _loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", _loader)
        session = boto3.session.Session(botocore_session=core, **kwargs)
        # boto3 adds its resource models' folder to the loader's search path each time: keep it there once
        paths = _loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session
