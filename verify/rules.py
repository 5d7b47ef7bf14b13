"""How an empirical claim's verdict is derived from the sentence of the paper it checks.

An empirical claim's record (:class:`verify.claim.Claim`) carries

* a :class:`Rule`: the paper's words, quoted verbatim (``tests/test_rules.py`` finds each quote in
  the paper's text); the *reading* of their quantifier (:data:`READINGS`); every number its
  comparisons gate on, each a :class:`Gate` with its derivation from those words (a comparison
  names its gate, and a test holds every comparison of an empirical claim to a gate of its
  rule); the tolerance the paper leaves free, reported as a curve (:data:`CURVE`); the readings
  of the quantifier at its extremes that the check measures; and the settings the paper leaves
  open, which the check sweeps (:class:`Sweep`);
* a :class:`Regime`: the paper's setup as far as its text gives it (data, n, d, architecture) and
  the ratios that define its regime (n/d, parameters per example), beside ours at each profile.

The gates below are the ones the paper's words give; a number the paper never states (a 0.9 of
the starts, a 0.1 of the spacing) is never a gate: it is a point of a reported curve.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

from theory.errors import InputError

__all__ = ["ALPHA", "CURVE", "CONTRAST", "EVERY", "EXISTS", "Gate", "HALF_GREY", "IN_SPAN", "INDIVIDUAL", "MOST", "MOST_RUNS", "NEAREST_EXAMPLE",
           "NEARER_ONE", "ONE_RUN", "READINGS", "Regime", "Rule", "Sweep", "THEOREM2", "TREND", "TYPICAL", "adam_eps_sweep", "curve_counts",
           "curve_region", "majority", "most_runs", "run_sweeps"]

# how the quantifier of the sentence is read
EXISTS = "exists"      # "it is possible to ...", "can memorize": one run at the paper's regime that shows it
TYPICAL = "typical"    # "the trained network does X" (one network shown, its settings unstated): X in most runs
EVERY = "every"        # "all", "regardless of": in every case tried, in most runs
TREND = "trend"        # "increasing A increases B": a one-sided trend test
CONTRAST = "contrast"  # "A gives a larger B than C": a one-sided two-sample test
READINGS = (EXISTS, TYPICAL, EVERY, TREND, CONTRAST)

# fractions of the smallest distance between two training examples at which recovery is reported
CURVE = (0.05, 0.1, 0.25, 0.5)


@dataclass(frozen=True)
class Gate:
    """A number a comparison is held to, with its derivation from the paper's words."""

    name: str
    value: float
    derivation: str


NEARER_ONE = Gate(
    "an eigenvalue counts as 1 (or as 0)", 0.5,
    "a memorizing operator is the projection onto span(X), whose eigenvalues are exactly 1 (on the span) and 0 "
    "(off it); the paper's bracketed bounds are lost, so an eigenvalue nearer 1 than 0 counts as 1 and one nearer "
    "0 than 1 as 0: the midpoint 0.5, the only number the two values themselves fix")
NEAREST_EXAMPLE = Gate(
    "reaches a training example", 0.5,
    "a point within half the smallest distance between two training examples is nearer that example than any "
    "other, so 'the training example it reached' is defined; the paper fixes no closer tolerance, so the smaller "
    "fractions of the spacing (CURVE) are reported as a curve and the verdict names the region where it holds")
INDIVIDUAL = Gate(
    "an individual example, not a combination", 0.25,
    "'individual training examples instead of combinations': the even mixture of two examples lies at half the "
    "angle between them, so an output is that example rather than a combination when it is nearer the example than "
    "that mixture: within a quarter of the angle, a sine of at most 0.25 x the smallest sine between two examples "
    "(exact for the small angles between images, a little stricter for wide ones); the midpoint 0.5 only says which "
    "example is nearest, which every mixture of two also satisfies")
MOST = Gate(
    "most", 0.5,
    "'almost exclusively', 'arbitrary inputs are mapped to', 'individual examples instead of combinations': at "
    "the least most of them, so a pooled share whose Wilson 95% lower bound is at least one half (a stated test); "
    "the share itself is reported")
MOST_RUNS = Gate(
    "most runs", 0.5,
    "the paper shows one trained network per figure, its settings unstated, as what training does: the finding is "
    "typical when it holds in more than half of the runs that decide (a count of at least floor(n/2) + 1); the "
    "strict reading, every run, is reported beside it")
ONE_RUN = Gate(
    "one run shows it", 1.0,
    "'it is possible', 'can memorize': an existence statement, shown by one run that decides at the paper's "
    "regime; the share of runs that show it is reported")
IN_SPAN = Gate(
    "a combination of the training images", 0.7071067811865476,
    "an eigenvector is a linear combination of the training images when it lies nearer their span than the "
    "span's orthogonal complement: the sine of its angle to the span below sin(45 deg) = 1/sqrt(2), the midpoint "
    "of the two; the sines themselves are reported")
HALF_GREY = Gate(
    "near-zero reconstruction error", 0.5,
    "an image's pixels are stored in grey levels (17 in the bundled digits, 256 in MNIST): a reconstruction whose "
    "RMS pixel error is below half the step between two levels rounds to the image itself at the data's own "
    "precision, so its error is zero as far as the data can tell; the bound is 0.5 x that step")
ALPHA = Gate("significance level", 0.05,
             "the conventional level of a one-sided test of the direction the sentence states; the p-value is reported")
THEOREM2 = Gate("an attractor", 1.0,
                "Theorem 2: rho(J) < 1 at the fixed point, certified within the Jacobian's error (a band of 1e-6 "
                "around 1 is undecided, not counted)")


def adam_eps_sweep(profiles=("paper", "large"), **also) -> Sweep:
    """Adam's eps, which the paper does not state: PyTorch's default 1e-8 (the paper ran PyTorch) and
    the square root of the dtype's smallest normal number (None: Adam without a floor, which lets
    float64 descend to tiny losses)."""
    return Sweep("adam_eps", (1e-8, None), "Adam eps",
                 "the paper names Adam, not its eps: PyTorch's default 1e-8, and no floor (sqrt of the dtype's "
                 "smallest normal number)", also, profiles)


def most_runs(k: int, n: int) -> bool:
    """``k`` of ``n`` runs are most of them (more than half): the reading TYPICAL over seeds."""
    return n > 0 and 2 * k > n


def majority(n: int) -> int:
    """The smallest count that is most of ``n`` runs: ``floor(n/2) + 1`` (:data:`MOST_RUNS`)."""
    return n // 2 + 1


def curve_counts(distances, spacing: float, fractions=CURVE) -> dict:
    """How many of ``distances`` lie within each fraction of ``spacing``: ``{fraction: count}``."""
    return {f: sum(1 for v in distances if v <= f * spacing) for f in fractions}


@dataclass(frozen=True)
class Sweep:
    """A setting the paper leaves open, swept: ``key`` (the claim's size key it overrides), the other
    ``values`` tried beside the claim's own setting at the profile (which the verdict rests on), a
    ``label``, why the range, and ``also``: further size overrides of the sweep's runs (fewer seeds,
    to keep it cheap)."""

    key: str
    values: tuple
    label: str
    why: str
    also: dict = field(default_factory=dict)
    profiles: tuple = ("quick", "default", "paper", "large")  # where it runs (a sweep is a whole check again)


@dataclass(frozen=True)
class Rule:
    """How a claim's verdict follows from the sentence it checks (see the module docstring)."""

    quote: str
    where: str
    reading: str
    decides: str
    gates: tuple = ()
    curve: str = ""
    readings: tuple = ()
    sweeps: tuple = ()

    def __post_init__(self):
        if self.reading not in READINGS:
            raise InputError(f"a rule's reading is one of {', '.join(READINGS)}, not {self.reading!r}")
        if not self.quote.strip() or not self.decides.strip():
            raise InputError("a rule quotes the paper and says what decides")
        if any(not isinstance(g, Gate) for g in self.gates) or any(not isinstance(s, Sweep) for s in self.sweeps):
            raise InputError("a rule's gates are Gate records and its sweeps Sweep records")

    def gate_names(self) -> set:
        return {g.name for g in self.gates}

    def to_dict(self) -> dict:
        return {"quote": self.quote, "where": self.where, "reading": self.reading, "decides": self.decides,
                "gates": [{"name": g.name, "value": g.value, "derivation": g.derivation} for g in self.gates],
                "curve": self.curve, "readings": list(self.readings),
                "sweeps": [{"key": s.key, "values": list(s.values), "label": s.label, "why": s.why,
                            "profiles": list(s.profiles)} for s in self.sweeps]}


@dataclass(frozen=True)
class Regime:
    """The paper's setup (``paper``: its words, as far as the text gives them) and the ratios that
    define its regime (``paper_ratios``: ``{"n/d": 100 / 3072, ...}``, ``None`` where the text does not
    give them); ``ours(sizes) -> {"n": .., "d": .., "params": ..}`` at a profile's merged sizes;
    ``breaks``: per profile, which ratio it breaks and why (absent: it keeps the paper's regime);
    ``not_run``: per profile, why the claim is not run there at all (a miniature outside the paper's
    regime decides nothing: its verdict is inconclusive, "not run at this profile")."""

    paper: str
    paper_ratios: dict
    ours: Callable
    breaks: dict = field(default_factory=dict)
    not_run: dict = field(default_factory=dict)

    def at(self, sizes: dict, profile: str) -> dict:
        """Our setup's numbers and ratios at ``sizes`` (a profile's), beside the paper's."""
        got = dict(self.ours(sizes))
        n, d, params = got.get("n"), got.get("d"), got.get("params")
        number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0  # noqa: E731
        if number(n) and number(d):
            got["n/d"] = n / d
        if number(n) and number(params):
            got["params per example"] = params / n
        return {"paper": self.paper, "paper_ratios": dict(self.paper_ratios), "ours": got,
                **({"breaks": self.breaks[profile]} if profile in self.breaks else {})}


def curve_region(values: dict, passes: dict, what: str = "x spacing") -> str:
    """Where along a tolerance curve a comparison passes: ``values`` maps a tolerance (a fraction
    of :data:`CURVE`) to the measured value, ``passes`` maps it to whether it passes there.
    Returns e.g. ``"passes at >= 0.25 x spacing (0.77), not at 0.1 (0.45)"``."""
    keys = sorted(values)
    good = [k for k in keys if passes[k]]
    bad = [k for k in keys if not passes[k]]
    if not bad:
        return f"passes at every tolerance of the curve ({keys[0]:g}-{keys[-1]:g} {what})"
    if not good:
        return f"fails at every tolerance of the curve ({keys[0]:g}-{keys[-1]:g} {what}; {values[keys[-1]]:.3g} at {keys[-1]:g})"
    return (f"passes at >= {good[0]:g} {what} ({values[good[0]]:.3g}), not at {bad[-1]:g} ({values[bad[-1]]:.3g})"
            if max(bad) < min(good) else
            f"passes at {', '.join(f'{k:g}' for k in good)} {what}, not at {', '.join(f'{k:g}' for k in bad)}")


def run_sweeps(claim, ctx, data: dict, measured, settle: Callable) -> None:
    """The settings the paper leaves open (``claim.rule.sweeps``): the check again at each other value
    (a fresh cache: nothing trained under one setting is reused under another; ``settle(claim, m)``
    gives each measurement the record's reading), each point's verdict and key number in
    ``measured.sensitivity``, and where the finding reproduces in ``measured.region``."""
    points, held, failed = [], [], []
    sizes = ctx.profile.for_claim(claim)
    profile = ctx.profile.base or ctx.profile.name
    for sw in (s for s in claim.rule.sweeps if profile in s.profiles):
        if sw.key not in sizes:
            raise InputError(f"claim {claim.id!r} sweeps {sw.key!r}, which its sizes at profile {ctx.profile.name!r} lack")
        own = sizes[sw.key]
        for i, value in enumerate((own, *(v for v in sw.values if v != own))):
            if i == 0:
                m = measured
            else:
                over = {**ctx.profile.claims.get(claim.id, {}), **sw.also, sw.key: value}
                prof = dataclasses.replace(ctx.profile, claims={**ctx.profile.claims, claim.id: over},
                                           base=ctx.profile.base or ctx.profile.name)
                m = claim.check(data, dataclasses.replace(ctx, profile=prof, cache={}))
                settle(claim, m)
            label = f"{sw.label} {_value(value)}"
            points.append({"setting": sw.label, "key": sw.key, "value": value, "primary": i == 0,
                           "verdict": m.verdict, "reason": m.reason, "key_metric": m.key,
                           "key_value": m.metrics.get(m.key), "region": m.region})
            (held if m.verdict == "holds" else failed).append(label + ("" if m.verdict == "holds" else f" ({m.verdict})"))
    if not points:
        return
    measured.sensitivity = points
    swept = ("holds with " + ", ".join(held) if held else "holds at no swept setting") + \
        ("; not with " + ", ".join(failed) if failed else "")
    measured.region = f"{measured.region}; {swept}" if measured.region else swept


def _value(v) -> str:
    if v is None:
        return "sqrt(tiny)"  # Adam's eps without a floor: theory.descent.adam_eps of the dtype
    return f"{v:g}" if isinstance(v, float) else str(v)
