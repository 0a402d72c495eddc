"""Faults on demand: "429=0.1,500=0.05,502=0.01,503=0.01,slow=0.1,drop=0.02,
malformed=0.01,partial=0.1,delay=0.5" gives each kind's rate (0..1); `delay` is
the seconds a slow response waits (default 2), `partial` the share of tickets an
update_many job fails. Draws come from one seeded generator, so the same
requests in the same order meet the same faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("429", "500", "502", "503", "slow", "drop", "malformed", "partial")
ERRORS = ("429", "500", "502", "503", "drop")


@dataclass(frozen=True)
class FaultSpec:
    rates: dict[str, float] = field(default_factory=dict)
    delay: float = 2.0

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        rates: dict[str, float] = {}
        delay = 2.0
        for item in filter(None, (p.strip() for p in (text or "").split(","))):
            name, sep, raw = item.partition("=")
            name = name.strip()
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if not sep or value < 0 or (name != "delay" and value > 1):
                raise ValueError(f"fault '{item}' must be KIND=RATE with 0 <= RATE <= 1")
            if name == "delay":
                delay = value
            elif name in KINDS:
                rates[name] = value
            else:
                raise ValueError(f"unknown fault kind '{name}'; known: {', '.join(KINDS)}, delay")
        if sum(rates.get(k, 0.0) for k in ERRORS) > 1:
            raise ValueError("the rates of 429, 500, 502, 503 and drop add up to more than 1")
        return cls(rates, delay)


class Faults:
    """The current fault spec and its seeded generator; thread safe."""

    def __init__(self, text: str = "", seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.set(text, seed)

    def set(self, text: str, seed: int = 0) -> None:
        spec = FaultSpec.parse(text)
        with self._lock:
            self.spec = spec
            self._rng = random.Random(seed)

    def draw(self) -> tuple[str | None, bool, bool]:
        """(error kind or None, slow?, malformed?) for one request."""
        rates = self.spec.rates
        if not rates:
            return None, False, False
        with self._lock:
            roll, slow, bad = self._rng.random(), self._rng.random(), self._rng.random()
        error, edge = None, 0.0
        for kind in ERRORS:
            edge += rates.get(kind, 0.0)
            if roll < edge:
                error = kind
                break
        return error, slow < rates.get("slow", 0.0), bad < rates.get("malformed", 0.0)

    def fails_item(self) -> bool:
        """Whether one item of an update_many job fails."""
        rate = self.spec.rates.get("partial", 0.0)
        if not rate:
            return False
        with self._lock:
            return self._rng.random() < rate
