"""What a check records: comparisons against tolerances, verdicts with their reasons, negative controls.

Verdicts (:attr:`Measurement.verdict`):

* ``holds``: the hypotheses hold, every comparison passes, and every training run reached what
  its verdict needs (its loss target, or a decision stable over the last loss levels it reached:
  :mod:`theory.convergence`);
* ``refuted``: a comparison fails inside the claim's hypotheses and the failure is a
  counterexample: for an exact claim (closed forms, identities: deterministic numbers) any
  failing comparison; for an empirical claim (trained networks, random draws) only when its check
  sets :attr:`Measurement.refutation` (the counterexample persists across seeds and sizes, or
  is a proof);
* ``not-reproduced``: an empirical claim that falls short at the sizes and protocols tried on the
  runs that decide (:attr:`Measurement.scope` names the largest size and the measured trend; the
  failing comparison is the reason);
* ``inconclusive``: no run could decide: every comparison passes on the runs that decide but some
  run did not reach what its verdict needs (:attr:`Measurement.inconclusive`: such a run can never
  make a claim hold, nor is it counted against it), nothing could be compared, or an exact claim's
  descent stopped short of what its comparison needs;
* ``hypotheses-not-met``: the data violate a hypothesis (:attr:`Measurement.violations`).

An empirical claim whose rule reads its sentence as an existence statement ("it is possible",
"can memorize": :data:`verify.rules.EXISTS`, :attr:`Measurement.reading`) holds when its
comparisons pass, however many other runs could not decide: one run that shows it is the claim.

Every verdict but ``holds`` carries a one-line :attr:`Measurement.reason`.

A question about a user's model (``memverify analyze``, :attr:`Measurement.question`) is answered
``yes`` (what would hold) or ``no``, whose reason is the answer in the question's own words
(:attr:`Measurement.scope`): no model of a user's reproduces, or fails to reproduce, the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

HOLDS = "holds"
REFUTED = "refuted"
NOT_REPRODUCED = "not-reproduced"
NOT_MET = "hypotheses-not-met"
INCONCLUSIVE = "inconclusive"
VERDICTS = (HOLDS, REFUTED, NOT_REPRODUCED, INCONCLUSIVE, NOT_MET)
FAILING = (REFUTED, NOT_REPRODUCED)
# a question about a user's model (memverify analyze) is answered, not verified: no model of a user's
# "reproduces" the paper; a row that asks one (Measurement.question) reads yes or no
YES, NO = "yes", "no"
ANSWERS = (YES, NO)

# the CLI's exit status per verdict (a run exits with the most severe that applies, SEVERITY; see
# verify.cli); an answer "no" keeps the status a property that falls short always had
EXIT_STATUS = {HOLDS: 0, NOT_MET: 0, NOT_REPRODUCED: 3, REFUTED: 4, INCONCLUSIVE: 7, YES: 0, NO: 3}
# exit statuses from the most severe down: an accepted control, a refutation, a claim not reproduced,
# a claim no run could decide, then nothing wrong
SEVERITY = (1, 4, 3, 7, 0)


@dataclass(frozen=True)
class Tolerance:
    """A tolerance ``value`` and how it was derived (one sentence, with the formula)."""

    value: float
    derivation: str


OPS = ("<=", ">=")


@dataclass(frozen=True)
class Comparison:
    """One measured quantity against its bound: ``measured <= bound`` (or ``>=``)."""

    name: str
    measured: float
    bound: float
    op: str = "<="

    def __post_init__(self):
        from gpu.errors import InputError

        if self.op not in OPS:
            raise InputError(f"comparison {self.name!r}: op must be '<=' or '>=', got {self.op!r}")
        for field_name in ("measured", "bound"):
            value = getattr(self, field_name)
            if value is None or isinstance(value, (str, bytes)):
                raise InputError(f"comparison {self.name!r}: {field_name} must be a number, got {value!r}")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InputError(f"comparison {self.name!r}: {field_name} must be a number, got "
                                 f"{type(value).__name__}") from None
            object.__setattr__(self, field_name, number)

    @property
    def passed(self) -> bool:
        if not (math.isfinite(self.measured) or math.isinf(self.measured)):
            return False  # NaN never passes
        return self.measured <= self.bound if self.op == "<=" else self.measured >= self.bound

    gate: str = ""  # the rule's gate this bound is (verify.rules.Gate.name): every empirical comparison names one

    @property
    def relation(self) -> str:
        """The relation that holds between the measured value and the bound: ``op`` when it passes,
        its negation (``>`` for ``<=``, ``<`` for ``>=``) when it fails, ``?`` against a NaN."""
        if self.passed:
            return self.op
        if math.isnan(self.measured) or math.isnan(self.bound):
            return "?"
        return ">" if self.op == "<=" else "<"

    def shown(self, measured: str | None = None, bound: str | None = None) -> str:
        """``measured relation bound`` as it holds, a failure marked with what it needed
        (``0.865 < 0.9 (FAILS: needs >= 0.9)``): a failing comparison never reads as a true statement."""
        from .formatting import fmt

        m, b = fmt(self.measured) if measured is None else measured, fmt(self.bound) if bound is None else bound
        return f"{m} {self.relation} {b}" + ("" if self.passed else f" (FAILS: needs {self.op} {b})")

    def to_dict(self) -> dict:
        return {"name": self.name, "measured": self.measured, "op": self.op, "bound": self.bound, "passed": self.passed,
                **({"gate": self.gate} if self.gate else {})}

    def describe(self, limit: int | None = None) -> str:
        """``name = measured, needs op bound`` in one short line; with ``limit``, a long name is cut
        (ending in "...") so that the value and its bound always fit."""
        from .formatting import fmt

        tail = f" = {fmt(self.measured)}, needs {self.op} {fmt(self.bound)}"
        name = _one_line(self.name)
        if limit is not None and len(name) + len(tail) > limit:
            name = name[: max(10, limit - len(tail) - 3)].rstrip(" ,;:[(") + "..."
        return name + tail


REASON_LIMIT = 120  # characters: a reason fits one terminal line; the evidence keeps every comparison in full


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fit(text: str, suffix: str = "") -> str:
    """``text`` on one line, cut at a word with "..." so that it and ``suffix`` fit :data:`REASON_LIMIT`."""
    text, room = _one_line(text), REASON_LIMIT - len(suffix)
    if len(text) > room:
        cut = text[: room - 3]
        space = cut.rfind(" ")
        text = (cut[:space] if space > room // 2 else cut).rstrip(" ,;:") + "..."
    return text + suffix


def _first(items: list, what: str = "", prefix: str = "") -> str:
    more = f" (and {len(items) - 1} more{what})" if len(items) > 1 else ""
    return _fit(prefix + _one_line(items[0]), more)


@dataclass(frozen=True)
class Scope:
    """What an empirical claim tried, composed in one place: ``largest size tried: <largest>, <seeds>;
    <finding>`` (the finding: the measured trend or tally)."""

    largest: str
    seeds: str
    finding: str = ""

    def __str__(self) -> str:
        return f"largest size tried: {self.largest}, {self.seeds}" + (f"; {self.finding}" if self.finding else "")


@dataclass
class Measurement:
    """The result of running a check (or its negative control) on one data set.

    ``verdict`` follows the module's rules; ``metrics`` are the named measured numbers; ``key``
    names the one metric a summary table shows.  ``empirical`` is set by the runner from the
    claim.  ``inconclusive`` lists the training runs that did not reach what the verdict needs (one
    line each: stopped above the target with an unstable decision, a finishing phase that moved
    it, a stationary point); the comparisons are made on the other runs.  ``refutation`` (a check's one line) marks an empirical failure that persists
    across seeds and sizes; ``scope`` says, for an empirical claim, the largest size tried and the
    measured trend; ``statistics`` is the claim's statistics over seeds (JSON-ready).
    """

    comparisons: list
    metrics: dict
    tolerance: Tolerance | None
    key: str
    violations: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    inconclusive: list = field(default_factory=list)
    refutation: str | None = None
    scope: Scope | str | None = None
    statistics: dict | None = None
    empirical: bool = False
    question: bool = False
    reading: str = ""  # the claim's rule's reading of its sentence (verify.rules.READINGS), set by the runner
    region: str | None = None  # where the finding reproduces and where not (tolerance curve, swept settings)
    sensitivity: list = field(default_factory=list)  # per swept setting: its verdict and number (verify.runner)
    not_run: str | None = None  # why the claim was not run at this profile (its regime needs another)

    @property
    def failing(self) -> list:
        return [c for c in self.comparisons if not c.passed]

    @property
    def verdict(self) -> str:
        if self.question:  # a question about a user's model: it has the property or it does not
            return YES if self._verdict() == HOLDS else NO
        return self._verdict()

    def _verdict(self) -> str:
        if self.not_run:
            return INCONCLUSIVE
        if self.violations:
            return NOT_MET
        if not self.comparisons:
            return INCONCLUSIVE  # nothing was compared: a claim never holds vacuously, nor fails
        if self.failing and not (self.inconclusive and not self.empirical):
            return REFUTED if (self.refutation or not self.empirical) else NOT_REPRODUCED
        if self.inconclusive and self.reading != "exists":  # an exact claim's failing descent: no counterexample
            return INCONCLUSIVE  # a run short of what its verdict needs never makes a claim hold, nor fail
        return HOLDS

    @property
    def reason(self) -> str | None:
        """One line saying why the verdict is not ``holds`` (``None`` when it holds)."""
        v = self._verdict()
        if v == HOLDS:
            return None
        if self.not_run:
            return _fit("not run at this profile: " + self.not_run)
        if self.question and self.scope and not self.violations and self.comparisons:
            return _fit(_one_line(self.scope))  # the answer in the question's own words: "7 of 10 examples repel"
        if v == NOT_MET:
            return _first(self.violations, prefix="hypothesis not met: ")
        if not self.comparisons:
            if self.inconclusive:
                return _first(self.inconclusive, " runs", prefix="no run decided: ")
            return "nothing was compared (no case of the claim was selected)"
        if not self.failing or (self.inconclusive and not self.empirical):
            return _first(self.inconclusive, " runs", prefix="undecided: ")
        more = f" (and {len(self.failing) - 1} more failing)" if len(self.failing) > 1 else ""
        room = REASON_LIMIT - len(more)
        if v == REFUTED:
            if self.refutation:
                return _fit(self.refutation)
            return _first([self.failing[0].describe(room - len("counterexample: "))] + self.failing[1:], " failing",
                          prefix="counterexample: ")
        failing = [self.failing[0].describe(room)] + self.failing[1:]
        line = _first(failing, " failing")
        tried = f"; largest size tried: {self.scope.largest}" if isinstance(self.scope, Scope) else \
            f"; {_one_line(self.scope)}" if self.scope else ""
        return line + tried if len(line + tried) <= REASON_LIMIT else line


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
    rule: dict | None = None    # the claim's decision rule (verify.rules.Rule.to_dict), empirical claims
    regime: dict | None = None  # the paper's setup and regime beside ours (verify.rules.Regime.at)

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
    def reason(self) -> str | None:
        return self.measurement.reason

    @property
    def ok(self) -> bool:
        """The claim was neither refuted, nor not reproduced, nor left undecided, and its negative control (if
        applicable) was rejected."""
        return self.verdict not in (*FAILING, INCONCLUSIVE, NO) and self.control_rejected is not False

    @property
    def exit_status(self) -> int:
        """This claim's exit status: :data:`EXIT_STATUS` of its verdict, 1 when its negative control was accepted."""
        return 1 if self.control_rejected is False else EXIT_STATUS[self.verdict]

    def to_dict(self) -> dict:
        m = self.measurement
        out = {
            "id": self.id,
            "paper_ref": self.paper_ref,
            "statement": self.statement,
            "hypotheses": list(self.hypotheses),
            "verdict": self.verdict,
            "reason": m.reason,
            "empirical": m.empirical,
            "hypotheses_violated": list(m.violations),
            "inconclusive": list(m.inconclusive),
            **({"refutation": _one_line(m.refutation)} if m.refutation else {}),
            **({"scope": _one_line(m.scope)} if m.scope else {}),
            **({"region": _one_line(m.region)} if m.region else {}),
            **({"rule": self.rule} if self.rule else {}),
            **({"regime": self.regime} if self.regime else {}),
            **({"sensitivity": list(m.sensitivity)} if m.sensitivity else {}),
            "metrics": dict(m.metrics),
            "key_metric": m.key,
            "tolerance": None if m.tolerance is None else {"value": m.tolerance.value, "derivation": m.tolerance.derivation},
            "comparisons": [c.to_dict() for c in m.comparisons],
            "notes": list(m.notes),
            **({"statistics": m.statistics} if m.statistics is not None else {}),
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
