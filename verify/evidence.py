"""What a check records: comparisons against tolerances, verdicts, negative controls."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

HOLDS = "holds"
FAILS = "fails"
NOT_MET = "hypotheses-not-met"
VERDICTS = (HOLDS, FAILS, NOT_MET)


@dataclass(frozen=True)
class Tolerance:
    """A tolerance ``value`` and how it was derived (one sentence, with the formula)."""

    value: float
    derivation: str


@dataclass(frozen=True)
class Comparison:
    """One measured quantity against its bound: ``measured <= bound`` (or ``>=``)."""

    name: str
    measured: float
    bound: float
    op: str = "<="

    @property
    def passed(self) -> bool:
        if not (math.isfinite(self.measured) or math.isinf(self.measured)):
            return False  # NaN never passes
        return self.measured <= self.bound if self.op == "<=" else self.measured >= self.bound

    def to_dict(self) -> dict:
        return {"name": self.name, "measured": self.measured, "op": self.op, "bound": self.bound, "passed": self.passed}


@dataclass
class Measurement:
    """The result of running a check (or its negative control) on one data set.

    ``verdict`` is ``holds`` when the hypotheses hold and every comparison passes, ``fails``
    when the hypotheses hold and one does not, ``hypotheses-not-met`` when a hypothesis is
    violated (``violations`` says which); ``metrics`` are the named measured numbers;
    ``key`` names the one metric a summary table shows.
    """

    comparisons: list
    metrics: dict
    tolerance: Tolerance | None
    key: str
    violations: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.violations:
            return NOT_MET
        return HOLDS if all(c.passed for c in self.comparisons) else FAILS


@dataclass
class Evidence:
    """Everything recorded about one claim in one run."""

    id: str
    paper_ref: str
    statement: str
    hypotheses: tuple
    measurement: Measurement
    control_description: str
    control: Measurement | None
    seconds: float

    @property
    def verdict(self) -> str:
        return self.measurement.verdict

    @property
    def control_rejected(self) -> bool | None:
        """True when the negative control was run and at least one of the check's comparisons
        failed on it; ``None`` when it was not run (the data did not meet the claim's
        hypotheses and the claim's control needs them)."""
        if self.control is None:
            return None
        return not all(c.passed for c in self.control.comparisons)

    @property
    def ok(self) -> bool:
        """The claim did not fail and its negative control (if applicable) was rejected."""
        return self.verdict != FAILS and self.control_rejected is not False

    def to_dict(self) -> dict:
        m = self.measurement
        out = {
            "id": self.id,
            "paper_ref": self.paper_ref,
            "statement": self.statement,
            "hypotheses": list(self.hypotheses),
            "verdict": self.verdict,
            "hypotheses_violated": list(m.violations),
            "metrics": dict(m.metrics),
            "key_metric": m.key,
            "tolerance": None if m.tolerance is None else {"value": m.tolerance.value, "derivation": m.tolerance.derivation},
            "comparisons": [c.to_dict() for c in m.comparisons],
            "notes": list(m.notes),
            "negative_control": {
                "description": self.control_description,
                "rejected": self.control_rejected,
                "verdict": None if self.control is None else self.control.verdict,
                "metrics": {} if self.control is None else dict(self.control.metrics),
                "comparisons": [] if self.control is None else [c.to_dict() for c in self.control.comparisons],
            },
            "seconds": self.seconds,
        }
        return out
