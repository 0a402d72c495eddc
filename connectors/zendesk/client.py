"""zenpy set up for one Zendesk account: its own base URL, our adapter, one retry layer.

Where zenpy is used, and where its session is used directly:

- object calls go through zenpy: ticket and organization fields (list, create),
  tickets and organizations by id, ``update_many``, job statuses;
- the two exports (tickets by cursor, ticket events by time) are read with
  ``get_json`` on zenpy's own ``requests`` session, because zenpy's generators hand
  out tickets one by one and hide the page boundaries, while the sync must store
  each page together with the cursor that follows it.

zenpy 2.0.57 sleeps on a 429 with ``Retry-After`` and has no ``raise_on_ratelimit``.
Our ``ApiAdapter`` sits under its session and raises every status of 400 and above
(converted once into our error kinds) before zenpy sees the response, so zenpy never
sleeps nor retries; ``connectors.retry.retrying`` is the only retry layer.

Each client has its own base URL (``url`` in the options, e.g. the sandbox): the
adapter re-bases every request of this client onto it, whatever host zenpy built
(zenpy itself only knows ``https://{subdomain}.{domain}``, or process-wide overrides).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from zenpy import Zenpy
from zenpy.lib.exception import ZenpyException

from connectors.errors import ConnectorError, RetriableError
from connectors.http import RETRIABLE_STATUSES, ApiAdapter, HttpFailure, convert, endpoint_of
from connectors.retry import QuotaGate, RetryPolicy, retrying

T = TypeVar("T")

# 409: Zendesk's "database collision" when two updates of one ticket meet; retry it.
ZENDESK_RETRIABLE = RETRIABLE_STATUSES | {409}


EXPORT_PREFIX = "/api/v2/incremental/"  # the exports: 10 requests a minute (30 high volume)


@dataclass(frozen=True)
class ClientSettings:
    """How to reach one Zendesk account; ``repr`` never shows the token."""

    source: str
    base_url: str
    email: str
    token: str
    timeout: float

    def __repr__(self) -> str:
        return f"ClientSettings(source={self.source!r}, base_url={self.base_url!r})"


def base_url_for(subdomain: str | None, url: str | None) -> str:
    """The account's base URL: ``url`` when given (the sandbox), else the subdomain's."""
    if url:
        return url.rstrip("/")
    if not subdomain:
        raise ValueError("give subdomain or url")
    return f"https://{subdomain}.zendesk.com"


def rebase(url: str, base: str) -> str:
    """``url`` moved onto ``base``'s scheme, host and path prefix; query kept."""
    parts, home = urlsplit(url), urlsplit(base)
    prefix = home.path.rstrip("/")
    path = parts.path
    if prefix and not path.startswith(prefix + "/"):
        path = prefix + path
    return urlunsplit((home.scheme, home.netloc, path, parts.query, parts.fragment))


class _BaseUrlAdapter(ApiAdapter):
    def __init__(self, base_url: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        built = request.url
        request.url = rebase(str(built), self.base_url)
        try:
            return super().send(request, *args, **kwargs)
        finally:
            # zenpy picks its response handler by matching the host it built
            # (``api.base_url in response.request.url``): give it back its own URL
            request.url = built


class ZendeskClient:
    """One authenticated zenpy client; every call retried under one policy."""

    def __init__(
        self,
        settings: ClientSettings,
        policy: RetryPolicy,
        gate: QuotaGate | None,
        export_gate: QuotaGate | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy
        self.adapter = _BaseUrlAdapter(
            settings.base_url,
            gate,
            settings.timeout,
            raise_for=self._convert,
            path_gates=[(EXPORT_PREFIX, export_gate)] if export_gate else (),
        )
        session = requests.Session()
        session.mount("http://", self.adapter)
        session.mount("https://", self.adapter)
        host = urlsplit(settings.base_url).hostname or "zendesk"
        self.zenpy = Zenpy(
            subdomain=host.split(".")[0],
            email=settings.email,
            token=settings.token,
            session=session,
            timeout=settings.timeout,
            disable_cache=True,  # job statuses are polled by id: never serve them stale
        )
        self.session: requests.Session = self.zenpy.tickets.session

    def __repr__(self) -> str:
        return f"ZendeskClient({self.settings!r})"

    def _convert(self, failure: HttpFailure) -> ConnectorError:
        return convert(
            failure,
            source=self.settings.source,
            secrets=(self.settings.token,),
            retriable=ZENDESK_RETRIABLE,
        )

    def url(self, path: str) -> str:
        return self.settings.base_url + path

    def get_json(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """GET ``path`` on the raw session (the exports), retried; the body as a dict."""
        return retrying(self.policy, lambda: self._get_json_once(path, params), what=f"GET {path}")

    def _get_json_once(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        response = self.session.get(self.url(path), params=dict(params))
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise RetriableError(
                "the response body is not a JSON object",
                endpoint=endpoint_of("GET", path),
                status=response.status_code,
                source=self.settings.source,
            )
        return body

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run a zenpy call (materialize generators inside ``fn``), retried.

        ``what`` names the call in errors, e.g. ``"GET /api/v2/ticket_fields.json"``.
        """
        return retrying(self.policy, lambda: self._zenpy_once(what, fn), what=what)

    def _zenpy_once(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except ConnectorError:
            raise
        except (ValueError, KeyError, ZenpyException) as error:
            # zenpy failed to read a 2xx body (truncated or malformed JSON)
            raise RetriableError(
                f"could not read the response: {type(error).__name__}: {str(error)[:200]}",
                endpoint=what,
                source=self.settings.source,
            ) from None

    def request_counts(self) -> dict[str, int]:
        return dict(self.adapter.counts)

    def close(self) -> None:
        self.session.close()
