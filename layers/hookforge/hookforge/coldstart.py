"""A Lambda handler's cold import without the garbage collector walking it.

Importing a handler makes some 50 000 objects that live as long as its process (modules, classes, boto3's service
models, pydantic's schemas) and frees almost none of them, yet Python's cyclic collector walks them again and again
while they are made: about a hundred passes, some 40 ms of the dashboard's 250 ms cold import (measured). Each
handler imports inside `collector_paused()`: the collector rests while the imports run, then what they made is
frozen (`gc.freeze`: moved out of every later collection, warm invocations included) and it resumes. Garbage the
handler makes afterwards is collected as ever.

This module imports nothing of hookforge's, so a handler can import it before everything else.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block (a handler's imports) with the cyclic garbage collector off, then freeze what survived it and
    turn the collector back on, also when the block raises. Nested or with the collector already off, it leaves
    the collector as it found it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
