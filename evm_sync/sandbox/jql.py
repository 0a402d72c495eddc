"""The bounded JQL subset the connector sends, parsed into a filter and a sort.

Supported: clauses `field op value` joined by AND (with parentheses), operators
= != > >= < <= in, not in, is, is not; fields project, key, id, updated, created,
resolutiondate, duedate, status, statusCategory, resolution, issuetype, labels;
ORDER BY key|id|created|updated|duedate|resolutiondate [ASC|DESC]. Anything else
raises JqlError, which the server answers with Jira's 400 error shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from evm_sync.sandbox.clock import parse_jira_time

Issue = dict[str, Any]
TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|>=|<=|=|>|<|~)'
    r"|(?P<punct>[(),])|(?P<word>[^\s()=!<>,~\"']+))"
)
DATE_FIELDS = ("updated", "created", "resolutiondate", "duedate")
SORTABLE = ("key", "id", *DATE_FIELDS)
RELATIVE = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class JqlError(ValueError):
    """A query outside the supported subset, or malformed."""


@lru_cache(maxsize=200_000)
def _epoch(text: str) -> float:
    if len(text) == 10:  # duedate: yyyy-mm-dd
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    return parse_jira_time(text)


def tokenize(jql: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, jql.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise JqlError(f"Error in the JQL Query: unexpected character at position {pos}.")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
    return tokens


def date_value(text: str, now: float) -> float:
    """JQL date literals, in UTC: yyyy-MM-dd [HH:mm], slashes allowed, epoch ms, -5m."""
    rel = re.fullmatch(r"([-+]?)(\d+)([mhdw])", text)
    if rel:
        sign = -1 if rel.group(1) == "-" else 1
        return now + sign * int(rel.group(2)) * RELATIVE[rel.group(3)]
    if text.isdigit():
        return int(text) / 1000
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.replace("/", "-"), fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{text}' for field is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a "
        "period format e.g. '-5d', '4w 2d'."
    )


def _names(issue: Issue, field: str) -> set[str]:
    """The lower-cased values a clause on `field` compares against."""
    f = issue["fields"]
    if field == "project":
        project = f.get("project") or {}
        return {str(project.get("key", "")).lower(), str(project.get("id", ""))} - {""}
    if field in ("key", "issuekey"):
        return {issue["key"].lower()}
    if field == "id":
        return {issue["id"]}
    if field == "labels":
        return {label.lower() for label in f.get("labels") or []}
    if field == "statuscategory":
        cat = (f.get("status") or {}).get("statusCategory") or {}
        return {str(cat.get(k, "")).lower() for k in ("key", "name", "id")} - {""}
    obj = f.get({"type": "issuetype"}.get(field, field))
    return set() if not obj else {str(obj.get("name", "")).lower(), str(obj.get("id", ""))} - {""}


class Parser:
    def __init__(self, jql: str, now: float) -> None:
        self.tokens = tokenize(jql)
        self.pos = 0
        self.now = now

    def peek(self, upper: bool = True) -> str | None:
        if self.pos >= len(self.tokens):
            return None
        kind, value = self.tokens[self.pos]
        return value.upper() if upper and kind == "word" else value

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise JqlError("Error in the JQL Query: the query ended unexpectedly.")
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def parse(self) -> tuple[list[Callable[[Issue], bool]], list[tuple[str, bool]]]:
        clauses = [] if self.peek() in (None, "ORDER") else self.conjunction()
        order: list[tuple[str, bool]] = []
        if self.peek() == "ORDER":
            self.take()
            if self.peek() != "BY":
                raise JqlError("Error in the JQL Query: expecting 'BY' after 'ORDER'.")
            self.take()
            while True:
                field = self.take().lower()
                if field not in SORTABLE:
                    raise JqlError(f"Not able to sort using field '{field}'.")
                desc = self.peek() in ("ASC", "DESC") and self.take().upper() == "DESC"
                order.append((field, desc))
                if self.peek() != ",":
                    break
                self.take()
        if self.peek() is not None:
            raise JqlError(f"Error in the JQL Query: '{self.peek(False)}' is not supported here.")
        return clauses, order

    def conjunction(self) -> list[Callable[[Issue], bool]]:
        clauses = self.clause()
        while self.peek() == "AND":
            self.take()
            clauses += self.clause()
        if self.peek() in ("OR", "NOT"):
            raise JqlError(
                f"Error in the JQL Query: '{self.peek()}' is not supported by the sandbox."
            )
        return clauses

    def clause(self) -> list[Callable[[Issue], bool]]:
        if self.peek() == "(":
            self.take()
            inner = self.conjunction()
            if self.take() != ")":
                raise JqlError("Error in the JQL Query: expecting ')'.")
            return inner
        field = self.take().lower()
        op = self.take().upper()
        if op in ("NOT", "IS") and self.peek() in ("IN", "NOT"):
            op = f"{op} {self.take().upper()}"
        values = self.value_list() if op in ("IN", "NOT IN") else [self.take()]
        return [self.predicate(field, op, values)]

    def value_list(self) -> list[str]:
        if self.take() != "(":
            raise JqlError("Error in the JQL Query: expecting '(' after 'in'.")
        values = [self.take()]
        while self.peek() == ",":
            self.take()
            values.append(self.take())
        if self.take() != ")":
            raise JqlError("Error in the JQL Query: expecting ')' to close the list.")
        return values

    def predicate(self, field: str, op: str, values: list[str]) -> Callable[[Issue], bool]:
        if field in DATE_FIELDS:
            return self.date_predicate(field, op, values)
        if field not in (
            "project",
            "key",
            "issuekey",
            "id",
            "status",
            "statuscategory",
            "resolution",
            "issuetype",
            "type",
            "labels",
            "priority",
        ):
            raise JqlError(
                f"Field '{field}' does not exist or you do not have permission to view it."
            )
        wanted = {v.lower() for v in values}
        empty = wanted & {"empty", "null", "unresolved"}
        if op in ("IS", "IS NOT") or empty:
            if op not in ("IS", "IS NOT", "=", "!="):
                raise JqlError(f"The operator '{op}' is not supported with EMPTY.")
            positive = op in ("IS", "=")
            return lambda issue: (not _names(issue, field)) == positive
        if op in ("=", "IN"):
            return lambda issue: bool(_names(issue, field) & wanted)
        if op in ("!=", "NOT IN"):
            return lambda issue: not (_names(issue, field) & wanted)
        raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")

    def date_predicate(self, field: str, op: str, values: list[str]) -> Callable[[Issue], bool]:
        if op in ("IS", "IS NOT"):
            positive = op == "IS"
            return lambda issue: (issue["fields"].get(field) is None) == positive
        if op not in (">=", ">", "<=", "<", "="):
            raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")
        limit = date_value(values[0], self.now)
        compare = {
            ">=": float.__ge__,
            ">": float.__gt__,
            "<=": float.__le__,
            "<": float.__lt__,
            "=": float.__eq__,
        }[op]

        def check(issue: Issue) -> bool:
            raw = issue["fields"].get(field)
            return raw is not None and compare(float(_epoch(raw)), limit)

        return check


def compile_jql(jql: str, now: float, bounded: bool = True):
    """(filter, sort key list) for a query; unbounded queries refused when asked."""
    clauses, order = Parser(jql, now).parse()
    if bounded and not clauses:
        raise JqlError(
            "Unbounded JQL queries are not allowed here. "
            "Please add a search restriction to your query."
        )
    return (lambda issue: all(c(issue) for c in clauses)), order


def sort_issues(issues: list[Issue], order: list[tuple[str, bool]]) -> list[Issue]:
    def key(field: str):
        if field in ("key", "id"):
            return lambda i: int(i["id"])
        return lambda i: _epoch(i["fields"][field]) if i["fields"].get(field) else float("-inf")

    result = sorted(issues, key=lambda i: int(i["id"]))
    for field, desc in reversed(order):
        result.sort(key=key(field), reverse=desc)
    return result
