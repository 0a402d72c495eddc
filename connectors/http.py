"""HTTP plumbing shared by the connectors: request counting, the quota gate, timeouts,
and the one conversion of ``requests`` failures into our error kinds.

Source-neutral: nothing here knows Zendesk or Jira beyond the common shapes of their
error bodies (``api_message``). Mount an ``ApiAdapter`` on a client library's
``requests`` session and every request of that client is counted by
``"METHOD /path"``, waits on the ``QuotaGate``, feeds it the rate-limit headers and
carries a timeout. With ``raise_for``, a non-2xx response or a transport error is
raised right in the adapter, so the library above never sees it (and never sleeps or
retries on its own): the caller's single retry layer decides.

``add_observer(callback)`` lets an application watch every exchange (an
``Exchange``: the endpoint and the status, None when no response came) and every
quota wait (a ``QuotaWait``) of every adapter, e.g. for metrics, without the
connectors knowing who listens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from connectors.errors import ConnectorError, FatalError, RetriableError
from connectors.retry import QuotaGate, parse_retry_after

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request sent: its ``"METHOD /path"`` and status (None: no response)."""

    endpoint: str
    status: int | None


@dataclass(frozen=True, slots=True)
class QuotaWait:
    """The quota gate held a request back for ``seconds``."""

    seconds: float


Observer = Callable[[Exchange | QuotaWait], None]
_observers: tuple[Observer, ...] = ()


def add_observer(callback: Observer) -> None:
    """Call ``callback`` with every ``Exchange`` and ``QuotaWait`` from now on."""
    global _observers
    _observers = (*_observers, callback)


def remove_observer(callback: Observer) -> None:
    """Stop calling ``callback`` (a no-op when it was not added)."""
    global _observers
    _observers = tuple(o for o in _observers if o != callback)


def _notify(event: Exchange | QuotaWait) -> None:
    for callback in _observers:
        callback(event)


def _observed_wait(on_wait: Callable[[float], None] | None) -> Callable[[float], None]:
    """``on_wait`` that also tells the observers (once, however often it is wrapped)."""
    if getattr(on_wait, "observed", False):
        return on_wait  # type: ignore[return-value]

    def wait(seconds: float) -> None:
        if on_wait is not None:
            on_wait(seconds)
        _notify(QuotaWait(seconds))

    wait.observed = True  # type: ignore[attr-defined]
    return wait


def endpoint_of(method: str | None, url: str | bytes | None) -> str:
    """``"GET /api/v2/ticket_fields.json"``: the method and the path, no host, no query."""
    text = url.decode() if isinstance(url, bytes) else (url or "")
    return f"{(method or '?').upper()} {urlsplit(text).path or '/'}"


class HttpFailure(Exception):
    """A response that was not 2xx, or no response at all, before conversion."""

    def __init__(self, endpoint: str, response: requests.Response | None, cause: str = "") -> None:
        super().__init__(endpoint)
        self.endpoint = endpoint
        self.response = response
        self.cause = cause

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status_code


class ApiAdapter(HTTPAdapter):
    """Counts, gates and times out every request sent through it; never retries.

    ``raise_for(failure)`` (optional) turns a failed exchange (no response, or a
    status of 400 and above) into the exception to raise; without it responses are
    returned whatever their status. ``path_gates`` hold requests to paths starting
    with a prefix to that path's own quota (Zendesk's incremental exports).
    """

    def __init__(
        self,
        gate: QuotaGate | None,
        timeout: float,
        *,
        raise_for: Callable[[HttpFailure], Exception] | None = None,
        path_gates: Sequence[tuple[str, QuotaGate]] = (),
    ) -> None:
        super().__init__(max_retries=0)
        self.gate = gate
        if gate is not None:
            gate.on_wait = _observed_wait(gate.on_wait)
        self.path_gates = list(path_gates)
        for _, extra in self.path_gates:
            extra.on_wait = _observed_wait(extra.on_wait)
        self.default_timeout = timeout
        self.raise_for = raise_for
        self.counts: Counter[str] = Counter()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        endpoint = endpoint_of(request.method, request.url)
        path = endpoint.partition(" ")[2]
        for prefix, extra in self.path_gates:  # an endpoint's own, lower limit
            if path.startswith(prefix):
                extra.before_request()
        if self.gate is not None:
            self.gate.before_request()
        self.counts[endpoint] += 1
        try:
            response = super().send(request, *args, **kwargs)
        except requests.RequestException as error:
            _notify(Exchange(endpoint, None))
            if self.raise_for is None:
                raise
            raise self.raise_for(HttpFailure(endpoint, None, describe_exception(error))) from None
        _notify(Exchange(endpoint, response.status_code))
        if self.gate is not None:
            self.gate.observe(response.headers)
        if self.raise_for is not None and response.status_code >= 400:
            raise self.raise_for(HttpFailure(endpoint, response))
        return response


def api_message(response: requests.Response | None) -> str:
    """The API's own words from an error body, whichever common shape it has:
    Zendesk ``{"error", "description", "details"}`` or ``{"error": {"title",
    "message"}}``, Jira ``{"errorMessages", "errors"}``, or a plain ``message``."""
    if response is None:
        return "no response"
    fallback = response.reason or f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text.splitlines()[0][:200] if text else fallback
    if not isinstance(body, dict):
        return str(body)[:200]
    parts: list[str] = []
    error = body.get("error")
    if isinstance(error, dict):
        parts += [str(error[k]) for k in ("title", "message") if error.get(k)]
    elif error:
        parts.append(str(error))
    for key in ("description", "message"):
        if body.get(key):
            parts.append(str(body[key]))
    parts += [str(m) for m in body.get("errorMessages") or []]
    for key in ("errors", "details"):
        value = body.get(key)
        if isinstance(value, dict):
            parts += [f"{name}: {_flatten(detail)}" for name, detail in value.items()]
    return "; ".join(parts)[:500] or fallback


def _flatten(detail: Any) -> str:
    if isinstance(detail, list):
        return ", ".join(_flatten(item) for item in detail)
    if isinstance(detail, dict):
        return str(detail.get("description") or detail.get("message") or detail)
    return str(detail)


def convert(
    failure: HttpFailure,
    *,
    source: str,
    secrets: Iterable[str] = (),
    retriable: Collection[int] = RETRIABLE_STATUSES,
    message_of: Callable[[requests.Response | None], str] = api_message,
) -> ConnectorError:
    """The one mapping to our kinds: ``retriable`` statuses and no response at all are
    retriable (with the ``Retry-After`` seconds), every other status fatal; callers
    turn per-item 4xx into skips. Secrets are masked from the message."""

    def clean(text: str) -> str:
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    where = {"endpoint": failure.endpoint, "status": failure.status, "source": source}
    if failure.response is None:
        return RetriableError(clean(failure.cause or "no response"), **where)
    message = clean(message_of(failure.response))
    if failure.status in retriable:
        retry_after = parse_retry_after(failure.response.headers)
        return RetriableError(message, retry_after=retry_after, **where)
    if failure.status in (401, 403):
        message = f"not allowed (check the email, token and permissions): {message}"
    return FatalError(message, **where)


def describe_exception(error: BaseException) -> str:
    """A short, credential-free cause for a transport exception (its type and the
    first line of its message, which ``requests`` builds from host and path only)."""
    first_line = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {first_line}"[:300]
