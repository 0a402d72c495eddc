"""Tickets and worklogs as columns, the form the engine computes on.

Instants are float seconds since the epoch (UTC), ``nan`` where there is none; text
attributes are integer codes into a list of values. A ``DatasetBuilder`` takes
tickets and worklogs one at a time (from model objects, a file or the store) and
keeps only columns, so a million tickets fit in a few tens of megabytes.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from evm_sync.config import CLASS_ATTRIBUTES
from evm_sync.model import Ticket, Worklog

NAN = float("nan")
CODED = tuple(
    dict.fromkeys((*CLASS_ATTRIBUTES, "status", "status_category", "source", "key", "parent"))
)
_RATING = {"good": 1, "bad": 0}


def _seconds(value: datetime | None) -> float:
    return NAN if value is None else value.timestamp()


def _number(value: float | None) -> float:
    return NAN if value is None else float(value)


@dataclass(frozen=True)
class Dataset:
    """Columns of the tickets in scope and of their worklogs."""

    ids: list[str]
    codes: dict[str, np.ndarray]  # attribute -> code per ticket
    values: dict[str, list[str | None]]  # attribute -> the values codes index
    created: np.ndarray
    resolved: np.ndarray
    due_at: np.ndarray  # exact due instants
    due_date: np.ndarray  # proleptic ordinal of a due date without a time
    sla: np.ndarray
    sprint_end: np.ndarray
    estimate: np.ndarray
    points: np.ndarray
    deleted: np.ndarray
    first_reply_minutes: np.ndarray
    satisfaction: np.ndarray  # 1 good, 0 bad, -1 none
    log_ticket: np.ndarray  # index into the tickets; -1 when the ticket is unknown
    log_started: np.ndarray
    log_seconds: np.ndarray
    log_author: np.ndarray  # code into ``authors``
    authors: list[str | None]

    def __len__(self) -> int:
        return len(self.ids)

    def attribute(self, name: str) -> tuple[np.ndarray, list[str | None]]:
        """Codes per ticket and the values they index, for a coded attribute."""
        return self.codes[name], self.values[name]

    def source(self, index: int) -> str:
        return str(self.values["source"][self.codes["source"][index]])

    @classmethod
    def from_records(cls, tickets: Iterable[Ticket], worklogs: Iterable[Worklog]) -> Dataset:
        builder = DatasetBuilder()
        for ticket in tickets:
            builder.add_ticket(ticket)
        for log in worklogs:
            builder.add_worklog(
                log.source, log.ticket_id, log.started_at.timestamp(), log.seconds, log.author
            )
        return builder.build()


class DatasetBuilder:
    """Collects tickets, then worklogs, into columns."""

    def __init__(self) -> None:
        self._index: dict[tuple[str, str], int] = {}
        self._ids: list[str] = []
        self._tables: dict[str, dict[str | None, int]] = {name: {} for name in CODED}
        self._codes: dict[str, array] = {name: array("i") for name in CODED}
        self._floats = {name: array("d") for name in _FLOAT_COLUMNS}
        self._deleted = array("b")
        self._satisfaction = array("b")
        self._log_ticket, self._log_started, self._log_seconds = array("q"), array("d"), array("d")
        self._log_author = array("i")
        self._authors: dict[str | None, int] = {}
        self.unknown_worklogs = 0

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._index

    def add_ticket(self, ticket: Ticket) -> None:
        self._index[ticket.source, ticket.id] = len(self._ids)
        self._ids.append(ticket.id)
        for name in CODED:
            table = self._tables[name]
            self._codes[name].append(table.setdefault(ticket.attribute(name), len(table)))
        floats = self._floats
        floats["created"].append(ticket.created_at.timestamp())
        floats["resolved"].append(_seconds(ticket.resolved_at))
        floats["due_at"].append(_seconds(ticket.due_at))
        floats["due_date"].append(NAN if ticket.due_date is None else ticket.due_date.toordinal())
        floats["sla"].append(_seconds(ticket.sla_due_at))
        floats["sprint_end"].append(_seconds(ticket.sprint_end_at))
        floats["estimate"].append(_number(ticket.estimate_hours))
        floats["points"].append(_number(ticket.story_points))
        floats["first_reply_minutes"].append(_number(ticket.first_reply_minutes))
        self._deleted.append(ticket.deleted)
        self._satisfaction.append(_RATING.get(ticket.satisfaction or "", -1))

    def add_worklog(
        self, source: str, ticket_id: str, started: float, seconds: float, author: str | None = None
    ) -> bool:
        """Add one worklog; False (and counted) when its ticket is not in the dataset."""
        index = self._index.get((source, ticket_id), -1)
        self.unknown_worklogs += index < 0
        self._log_ticket.append(index)
        self._log_started.append(started)
        self._log_seconds.append(seconds)
        self._log_author.append(self._authors.setdefault(author, len(self._authors)))
        return index >= 0

    def build(self) -> Dataset:
        def floats(name: str) -> np.ndarray:
            return np.frombuffer(self._floats[name], dtype=np.float64) if self._ids else np.empty(0)

        def column(values: array, dtype: type) -> np.ndarray:
            return np.frombuffer(values, dtype=dtype) if len(values) else np.empty(0, dtype=dtype)

        return Dataset(
            ids=self._ids,
            codes={name: column(self._codes[name], np.int32) for name in CODED},
            values={name: list(table) for name, table in self._tables.items()},
            **{name: floats(name) for name in _FLOAT_COLUMNS},
            deleted=column(self._deleted, np.int8).astype(bool),
            satisfaction=column(self._satisfaction, np.int8),
            log_ticket=column(self._log_ticket, np.int64),
            log_started=column(self._log_started, np.float64),
            log_seconds=column(self._log_seconds, np.float64),
            log_author=column(self._log_author, np.int32),
            authors=list(self._authors),
        )


_FLOAT_COLUMNS = ("created", "resolved", "due_at", "due_date", "sla", "sprint_end", "estimate",
                  "points", "first_reply_minutes")  # fmt: skip
