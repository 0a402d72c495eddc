"""The WSGI application: routing, auth, rate limits, faults, request log.

Stored objects carry URLs under the placeholder BASE; each response swaps it for
the address the client used, so links (after_url, self) lead back here.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from evm_sync.sandbox.clock import Clock
from evm_sync.sandbox.faults import Faults
from evm_sync.sandbox.jira_store import JiraError, JiraStore
from evm_sync.sandbox.limits import Budget, RateLimiter
from evm_sync.sandbox.links import BASE
from evm_sync.sandbox.zendesk_store import ZendeskError, ZendeskStore

DC_PREFIX = "/jira-dc"


@dataclass(frozen=True)
class RequestRecord:
    """One request the sandbox answered (`at` is the sandbox clock)."""

    method: str
    path: str
    status: int
    at: datetime
    query: str = ""


@dataclass(frozen=True)
class Exchange:
    """One answered API request, kept when recording is on (for contract tests)."""

    api: str
    spec_path: str
    method: str
    status: int
    request: bytes
    response: bytes
    flavour: str  # "cloud" or "dc" for Jira, "" for Zendesk


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class BadRequest(Exception):
    """A malformed request body or parameter, answered 400 in the API's error shape."""


@dataclass(frozen=True)
class Call:
    """What a handler gets: the app, the request, its parsed body and where it came in."""

    app: SandboxApp
    request: Request
    version: str  # "2" or "3" for Jira, "" for Zendesk
    dc: bool

    def json(self) -> Any:
        raw = self.request.get_data(cache=True)
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise BadRequest("The request body is not valid JSON.") from None

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        raw = self.request.args.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise BadRequest(f"'{name}' must be an integer, not {raw!r}") from None


Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    api: str  # "zendesk", "jira" or "admin"
    bucket: str = ""
    spec_path: str = ""  # the operation's path in the vendor's OpenAPI description


def route(
    method: str, path: str, handler: Handler, api: str, bucket: str = "", segment: str = "[^/]+"
) -> Route:
    """`path` with {name} placeholders, each matching one `segment`."""
    regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>{segment})", path)
    return Route(method, re.compile(f"^{regex}$"), handler, api, bucket or api)


# Our placeholder names -> the specs' parameter names
SPEC_NAMES = {
    "job_id": "job_status_id",
    "org_id": "organization_id",
    "key": "issueIdOrKey",
    "prop": "propertyKey",
}


def _spec_path(prefix: str, path: str) -> str:
    return prefix + re.sub(r"\{(\w+)\}", lambda m: "{" + SPEC_NAMES.get(m[1], m[1]) + "}", path)


def zendesk_route(method: str, path: str, handler: Handler, bucket: str = "") -> Route:
    """A Zendesk path under /api/v2, with or without the .json suffix; ids have no dots."""
    found = route(method, "/api/v2" + path + r"(?:\.json)?", handler, "zendesk", bucket, "[^/.]+")
    return replace(found, spec_path=_spec_path("/api/v2", path))


def jira_route(method: str, path: str, handler: Handler) -> Route:
    """A Jira path, served under both /rest/api/2 and /rest/api/3."""
    found = route(method, "/rest/api/x" + path, handler, "jira")
    return replace(found, spec_path=_spec_path("/rest/api/3", path))


class SandboxApp:
    def __init__(
        self,
        zendesk: ZendeskStore,
        jira: JiraStore,
        clock: Clock,
        email: str,
        token: str,
        faults: Faults,
        limiter: RateLimiter,
        routes: list[Route],
    ) -> None:
        self.zendesk, self.jira, self.clock = zendesk, jira, clock
        self.faults, self.limiter, self.routes = faults, limiter, routes
        self._email, self._token = email, token
        self.requests: list[RequestRecord] = []
        self.exchanges: list[Exchange] | None = None  # a list while recording
        self._log_lock = threading.Lock()

    @property
    def email(self) -> str:
        return self._email

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock and the rate-limit windows forward together."""
        self.clock.advance(seconds)
        self.limiter.advance(seconds)

    def __repr__(self) -> str:  # never show the token
        return f"SandboxApp(email={self._email!r})"

    # ---- auth ------------------------------------------------------------------

    def authorized(self, request: Request, api: str, dc: bool) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return dc and value == self._token
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        if api == "zendesk":
            return user == f"{self._email}/token" and password == self._token
        return user == self._email and password == self._token

    # ---- dispatch ------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        path, dc = request.path, False
        if path.startswith(DC_PREFIX + "/"):
            path, dc = path[len(DC_PREFIX) :], True
        response = self.dispatch(request, path, dc, environ)  # a drop raises past here
        self.record(request, response.status_code)
        return response(environ, start_response)

    def record(self, request: Request, status: int) -> None:
        entry = RequestRecord(
            request.method, request.path, status, self.clock.now(), request.query_string.decode()
        )
        with self._log_lock:
            self.requests.append(entry)

    def reset_requests(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        allowed = False
        for candidate in self.routes:
            found = candidate.pattern.match(path)
            if found:
                if candidate.method == method:
                    return candidate, found.groupdict()
                allowed = True
        return (None, {}) if allowed else None

    def dispatch(self, request: Request, path: str, dc: bool, environ: dict) -> Response:
        version = ""
        found = re.match(r"^/rest/api/([23])(/.*)$", path)
        if found:
            version, path = found.group(1), "/rest/api/x" + found.group(2)
        matched = self.match(request.method, path)
        api = (
            "zendesk"
            if path.startswith("/api/v2")
            else "admin"
            if path.startswith("/_sandbox")
            else "jira"
        )
        if matched is None or (dc and api != "jira"):
            return self.error(api, 404, "Not found")
        the_route, params = matched
        if the_route is None:
            return self.error(api, 405, "Method not allowed")
        if api == "admin":
            return self.respond(the_route, params, Call(self, request, version, dc), "")
        if not self.authorized(request, api, dc):
            return self.error(api, 401, "Couldn't authenticate you")
        budgets = [self.limiter.take(api)]
        if budgets[0] is not None and budgets[0].allowed and the_route.bucket != api:
            budgets.append(self.limiter.take(the_route.bucket))
        denied = next((b for b in budgets if b is not None and not b.allowed), None)
        if denied is not None:
            return self.with_limits(self.throttled(api, denied), api, budgets)
        error, slow, malformed = self.faults.draw()
        if slow:
            time.sleep(self.faults.spec.delay)
        if error == "drop":
            self.record(request, 0)  # before the client can notice
            drop(environ)
        if error:
            response = self.error(api, int(error), "Sandbox fault injected")
            if error == "429":
                response.headers["Retry-After"] = "1"
            return self.with_limits(response, api, budgets)
        base = request.host_url.rstrip("/") + (DC_PREFIX if dc else "")
        response = self.respond(the_route, params, Call(self, request, version, dc), base)
        if self.exchanges is not None and not malformed:
            flavour = "" if api == "zendesk" else "dc" if dc else "cloud"
            self.exchanges.append(
                Exchange(
                    api,
                    the_route.spec_path,
                    request.method,
                    response.status_code,
                    request.get_data(),
                    response.get_data(),
                    flavour,
                )
            )
        if malformed and response.status_code == 200:
            data = response.get_data()
            response.set_data(data[: max(1, len(data) // 2)])
        return self.with_limits(response, api, budgets)

    def respond(self, the_route: Route, params: dict, call: Call, base: str) -> Response:
        try:
            reply = the_route.handler(call, **params)
        except ZendeskError as exc:
            reply = Reply(exc.status, exc.body)
        except JiraError as exc:
            reply = Reply(exc.status, exc.body)
        except BadRequest as exc:
            return self.error(the_route.api, 400, str(exc))
        if reply.body is None:
            response = Response(status=reply.status)
        else:
            data = json.dumps(reply.body, separators=(",", ":")).encode()
            if base:
                data = data.replace(BASE.encode(), base.encode())
            response = Response(data, status=reply.status, mimetype="application/json")
        response.headers.update(reply.headers)
        return response

    def error(self, api: str, status: int, message: str) -> Response:
        if api == "jira":
            body: dict[str, Any] = {"errorMessages": [message], "errors": {}}
        elif status == 404:
            body = {"error": "RecordNotFound", "description": "Not found"}
        elif status == 400:
            body = {"error": "InvalidValue", "description": message}
        else:
            body = {"error": message}
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def throttled(self, api: str, budget: Budget) -> Response:
        response = self.error(
            api, 429, "Rate limit exceeded" if api == "jira" else "APIRateLimitExceeded"
        )
        response.headers["Retry-After"] = str(budget.reset_in)
        if api == "jira":
            response.headers["RateLimit-Reason"] = "jira-quota-tenant-based"
        return response

    def with_limits(self, response: Response, api: str, budgets: list[Budget | None]) -> Response:
        """The rate-limit headers every response carries while limits are on."""
        account = budgets[0]
        if account is None:
            return response
        h = response.headers
        if api == "jira":
            h["X-RateLimit-Limit"] = str(account.limit)
            h["X-RateLimit-Remaining"] = str(account.remaining)
            reset = datetime.fromtimestamp(self.clock.now().timestamp() + account.reset_in, UTC)
            h["X-RateLimit-Reset"] = reset.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return response
        h["X-Rate-Limit"] = h["ratelimit-limit"] = str(account.limit)
        h["X-Rate-Limit-Remaining"] = h["ratelimit-remaining"] = str(account.remaining)
        h["ratelimit-reset"] = str(account.reset_in)
        if len(budgets) > 1 and budgets[1] is not None:
            export = budgets[1]
            h["Zendesk-RateLimit-incremental-exports"] = (
                f"total={export.limit}; remaining={export.remaining}; resets={export.reset_in}"
            )
        return response


def drop(environ: dict) -> None:
    """Close the client's connection without an answer."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("sandbox fault: connection dropped")
