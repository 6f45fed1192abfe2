"""Logger built once, the Tracer only where tracing is on; every module logs through `logger` (service: hookforge)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

from aws_lambda_powertools import Logger, Tracer

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "hookforge")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Hookforge")

logger = Logger()

F = TypeVar("F", bound=Callable[..., Any])


class LazyTracer:
    """Powertools' `Tracer`, built only where tracing is on.

    Building a Tracer imports the X-Ray SDK (a third of a handler's cold import) even when tracing is off, and
    a disabled Tracer only wraps the handler in subsegments it discards. So where Powertools would disable
    tracing (`POWERTOOLS_TRACE_DISABLED`, or outside Lambda) the decorators hand the function back untouched and
    nothing is imported; where it is on (in AWS, `Tracing: Active`) they are the real Tracer's, built while the
    handler module is imported as before, so the AWS SDKs are patched before any client exists. Anything else
    (`put_annotation`, `provider`, ...) is the real Tracer's, built on first use.
    """

    def __init__(self) -> None:
        self._tracer: Tracer | None = None

    @property
    def enabled(self) -> bool:
        """Whether Powertools traces here (its own rule: the environment variable, and running inside Lambda)."""
        return not Tracer._is_tracer_disabled()

    @property
    def tracer(self) -> Tracer:
        """The real Tracer (built on first use, then shared)."""
        if self._tracer is None:
            self._tracer = Tracer()
        return self._tracer

    @overload
    def capture_lambda_handler(
        self, lambda_handler: F, *, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> F: ...

    @overload
    def capture_lambda_handler(
        self, lambda_handler: None = None, *, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> Callable[[F], F]: ...

    def capture_lambda_handler(self, lambda_handler: F | None = None, **options: bool | None) -> F | Callable[[F], F]:
        """`Tracer.capture_lambda_handler` where tracing is on; the handler itself where it is off."""
        return self._decorate("capture_lambda_handler", lambda_handler, options)

    @overload
    def capture_method(
        self, method: F, *, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> F: ...

    @overload
    def capture_method(
        self, method: None = None, *, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> Callable[[F], F]: ...

    def capture_method(self, method: F | None = None, **options: bool | None) -> F | Callable[[F], F]:
        """`Tracer.capture_method` where tracing is on; the function itself where it is off."""
        return self._decorate("capture_method", method, options)

    def _decorate(self, decorator: str, function: F | None, options: dict[str, bool | None]) -> F | Callable[[F], F]:
        if function is None:  # used as @tracer.capture_...(capture_response=False)
            return lambda f: cast(F, self._decorate(decorator, f, options))
        if not self.enabled:
            return function
        return cast(F, getattr(self.tracer, decorator)(function, **options))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy/pickle probe the instance before __init__ ran
            raise AttributeError(name)
        return getattr(self.tracer, name)


tracer = LazyTracer()
