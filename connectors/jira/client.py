"""The jira library set up once (``max_retries=0``, timeouts, our adapter), and every
request sent through the one retry layer with errors converted once.

``JiraClient.request`` is for endpoints the library does not wrap (worklog lists,
properties, fields); ``JiraClient.library`` runs a library call under the same rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from jira import JIRA

from connectors.errors import FatalError, SkippableError
from connectors.http import ApiAdapter, HttpFailure, convert
from connectors.retry import QuotaGate, RetryPolicy, retrying

T = TypeVar("T")


def field_errors(response: requests.Response | None) -> dict[str, str]:
    """The ``errors`` object of a Jira error body (field id -> message), if any."""
    try:
        body = response.json() if response is not None else None
    except ValueError:
        return {}
    errors = body.get("errors") if isinstance(body, dict) else None
    return {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}


class Rejected(SkippableError):
    """Jira refused one item (an issue edit, a property): ``field_errors`` holds its
    per-field messages (field id -> message) when it gave them."""

    def __init__(self, message: str, *, field_errors: dict[str, str], **where: Any) -> None:
        self.field_errors = field_errors
        super().__init__(message, **where)


@dataclass(frozen=True)
class ClientSettings:
    """How to reach one Jira site; ``repr`` never shows the token."""

    source: str
    url: str
    email: str | None
    token: str
    auth: str  # "basic" | "bearer"
    deployment: str  # "auto" | "cloud" | "datacenter"
    timeout: float

    def __repr__(self) -> str:
        return f"ClientSettings(source={self.source!r}, url={self.url!r}, auth={self.auth!r})"


class JiraClient:
    """One authenticated session to one Jira site."""

    def __init__(self, settings: ClientSettings, policy: RetryPolicy, gate: QuotaGate) -> None:
        self.settings = settings
        self.source = settings.source
        self.policy = policy
        self.base = settings.url.rstrip("/")
        if settings.auth == "bearer":
            credentials: dict[str, Any] = {"token_auth": settings.token}
        else:
            credentials = {"basic_auth": (settings.email or "", settings.token)}
        self.jira = JIRA(
            server=self.base,
            options={"rest_api_version": "3", "check_update": False},
            get_server_info=False,
            max_retries=0,
            timeout=settings.timeout,
            **credentials,
        )
        # The adapter raises every failed exchange as an ``HttpFailure`` before the
        # library sees it: the library never retries, ``_guard`` converts it once.
        self.adapter = ApiAdapter(gate, settings.timeout, raise_for=lambda failure: failure)
        self.jira._session.mount("http://", self.adapter)
        self.jira._session.mount("https://", self.adapter)
        self._cloud: bool | None = {"cloud": True, "datacenter": False}.get(settings.deployment)
        if self._cloud:
            self.jira.deploymentType = "Cloud"
        self._zone: ZoneInfo | None = None

    def __repr__(self) -> str:
        return f"JiraClient({self.settings!r})"

    # -- what the site is -------------------------------------------------------------

    @property
    def cloud(self) -> bool:
        """Cloud or Data Center, from the config or else from ``serverInfo``."""
        if self._cloud is None:
            info = self.request("GET", "/rest/api/2/serverInfo")
            self._cloud = str(info.get("deploymentType", "")).lower() == "cloud"
            self.jira.deploymentType = info.get("deploymentType")
        return self._cloud

    @property
    def api(self) -> str:
        """The REST root: ``/rest/api/3`` on Cloud, ``/rest/api/2`` on Data Center."""
        return "/rest/api/3" if self.cloud else "/rest/api/2"

    @property
    def zone(self) -> ZoneInfo:
        """The API user's time zone (``myself``), in which Jira reads JQL dates."""
        if self._zone is None:
            me = self.request("GET", f"{self.api}/myself")
            name = me.get("timeZone") or "UTC"
            try:
                self._zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise FatalError(
                    f"the API user's time zone '{name}' is unknown here",
                    endpoint=f"GET {self.api}/myself",
                    source=self.source,
                ) from error
        return self._zone

    # -- requests ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        skippable: Collection[int] = (),
        retry: bool = True,
    ) -> Any:
        """Send one request under the retry policy; the parsed JSON body (None if empty).

        A status in ``skippable`` raises ``Rejected`` instead of a ``FatalError``;
        ``retry=False`` sends once, for callers that must check before repeating.
        """
        endpoint = f"{method} {path}"
        data = None if body is None else json.dumps(body)

        def send() -> Any:
            response = self._guard(
                lambda: self.jira._session.request(
                    method, self.base + path, params=params, data=data
                ),
                skippable,
            )
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise FatalError(
                    "the answer is not JSON", endpoint=endpoint, source=self.source
                ) from None

        return retrying(self.policy, send) if retry else send()

    def library(self, call: Callable[[], T]) -> T:
        """Run a jira library call under the retry policy, errors converted."""
        return retrying(self.policy, lambda: self._guard(call, ()))

    def request_counts(self) -> dict[str, int]:
        return dict(self.adapter.counts)

    def close(self) -> None:
        self.jira._session.close()

    def _guard(self, call: Callable[[], T], skippable: Collection[int]) -> T:
        try:
            return call()
        except HttpFailure as failure:
            converted = convert(failure, source=self.source, secrets=(self.settings.token,))
            if failure.status not in skippable:
                raise converted from None
            raise Rejected(
                converted.message,
                field_errors=field_errors(failure.response),
                endpoint=failure.endpoint,
                status=failure.status,
                source=self.source,
            ) from None
