"""A claim of the paper as one record: what it says, how to check it, and everything the harness
needs to know of it (its profile family and own sizes, the backends and options it takes, its memory
estimate, its figure, the verdict the tests expect of it).

Modelled on PyTorch's ``OpInfo`` and scikit-learn's estimator tags: the runner, the memory plan,
the figures, the claim tests and the docs' tests read these fields instead of keeping their own
lists, so that adding a claim is its theory function, its claim module and its line in
docs/coverage.md (docs/architecture.md walks through one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from theory.errors import InputError

from .rules import Regime, Rule

# the backends every claim runs on; "dask" only where a claim says so (its steps would be thousands of
# round trips to a scheduler)
BACKENDS = ("numpy", "cupy", "jax", "array_api_strict")
OPTIONS = ("activations", "data_dir")
PROFILE_NAMES = ("quick", "default", "paper", "large")


@dataclass(frozen=True)
class Claim:
    """A claim of the paper and how to check it.

    Attributes
    ----------
    id : short stable identifier (``linear-min-norm``)
    paper_ref : where the paper states it (``Section 2; Appendix A``)
    statement : the claim in one line
    hypotheses : the hypotheses, in words
    make_data : ``ctx -> dict`` of backend arrays; the default data for ``ctx.profile``
    check : ``(data, ctx) -> Measurement``: prediction vs. what training does
    negative_control : ``(data, ctx) -> Measurement``: a deliberately wrong prediction or a
        hypothesis-violating input, on which at least one of ``check``'s comparisons must fail
    control_description : the negative control in one line
    family : the profile family whose shared sizes the claim reads (``ctx.sizes()``): ``linear``,
        ``single_layer``, ``dynamics``, ``deep``, ``two_layer``, ``conv``, ``construction``
    sizes : the claim's own sizes per profile (``{"quick": {...}, "default": {...}, "paper": {...},
        "large": {...}}``), merged over its family's: what no other claim reads
    data_keys : the keys of ``data`` a user may supply (empty: the claim takes no data)
    control_always : run the negative control also when the data violate the hypotheses
        (for claims whose point is what happens beyond them)
    empirical : the evidence comes from trained networks or random draws (a statistic over seeds):
        a failure is ``not-reproduced`` unless the check establishes a refutation; an exact claim's
        failing comparison is a counterexample (``refuted``)
    scale_invariant : the claim's mathematics is unchanged when ``X`` is multiplied by a positive
        number (the linear claims); a user's ``X`` is then brought to ``max |X|`` in [0.5, 1) by an
        exact power of two before the check; other claims refuse an ``X`` outside a stated range
    backends : the backends it runs on (``BACKENDS``, and ``"dask"`` where its descent runs blockwise)
    options : the run options it reads (``"activations"``: ``--activation`` restricts it;
        ``"data_dir"``: it takes the paper's data from ``--data-dir``)
    memory : ``(sizes, itemsize) -> (bytes, detail)``: its peak-memory estimate at the merged sizes
        (``None``: its family's, :mod:`verify.plan`)
    figure : ``(evidence, plt) -> figure or None``: its figure (``None``: it has none)
    expect : for an exact claim, the verdict its default data give (``holds`` unless its data break
        a hypothesis on purpose or the paper is wrong); empirical claims depend on their sizes (None)
    rule : for an empirical claim, its decision rule derived from the sentence it checks
        (:class:`verify.rules.Rule`: the quote, its reading, the gates, the curve, the sweeps)
    regime : for an empirical claim, the paper's setup and the ratios of its regime beside ours
        (:class:`verify.rules.Regime`)
    """

    id: str
    paper_ref: str
    statement: str
    hypotheses: tuple
    make_data: Callable
    check: Callable
    negative_control: Callable
    control_description: str
    family: str = ""
    sizes: dict = field(default_factory=dict)
    data_keys: tuple = ("X",)
    control_always: bool = False
    empirical: bool = False
    scale_invariant: bool = False
    backends: tuple = BACKENDS
    options: tuple = ()
    memory: Callable | None = None
    figure: Callable | None = None
    expect: str | None = None
    rule: Rule | None = None
    regime: Regime | None = None

    def __post_init__(self):
        from .escape import SLUG, SLUG_LIMIT

        if not isinstance(self.id, str) or not SLUG.match(self.id) or len(self.id) > SLUG_LIMIT:
            raise InputError(f"claim id {self.id!r} is not a slug: use lower-case letters, digits and '-', starting with "
                             f"a letter or digit, at most {SLUG_LIMIT} characters (it names files and HTML anchors)")
        if not self.family:
            raise InputError(f"claim {self.id!r} names no profile family")
        unknown = sorted(set(self.sizes) - set(PROFILE_NAMES))
        if unknown:
            raise InputError(f"claim {self.id!r} gives sizes for unknown profiles {unknown}; use {PROFILE_NAMES}")
        bad = sorted(set(self.options) - set(OPTIONS))
        if bad:
            raise InputError(f"claim {self.id!r} takes unknown options {bad}; known: {OPTIONS}")
        if self.expect is not None and self.empirical:
            raise InputError(f"claim {self.id!r} is empirical: its verdict depends on its sizes, expect nothing of it")
        if self.empirical and not (isinstance(self.rule, Rule) and isinstance(self.regime, Regime)):
            raise InputError(f"claim {self.id!r} is empirical: give it a rule (verify.rules.Rule: the paper's words and "
                             "how they decide) and a regime (verify.rules.Regime: the paper's setup beside ours)")
        for name in ("paper_ref", "statement", "control_description"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise InputError(f"claim {self.id!r}: {name} must be a non-empty string")
        if not isinstance(self.hypotheses, tuple) or not all(isinstance(h, str) for h in self.hypotheses):
            raise InputError(f"claim {self.id!r}: hypotheses must be a tuple of strings")
        if not isinstance(self.data_keys, tuple) or not all(isinstance(k, str) and k.isidentifier() for k in self.data_keys):
            raise InputError(f"claim {self.id!r}: data_keys must be a tuple of names such as ('X',)")
        for name in ("make_data", "check", "negative_control"):
            if not callable(getattr(self, name)):
                raise InputError(f"claim {self.id!r}: {name} must be a function")
        for name in ("memory", "figure"):
            if getattr(self, name) is not None and not callable(getattr(self, name)):
                raise InputError(f"claim {self.id!r}: {name} must be a function or None")
        known = BACKENDS + ("dask",)
        if not isinstance(self.backends, tuple) or not self.backends or not set(self.backends) <= set(known):
            raise InputError(f"claim {self.id!r}: backends must be a non-empty tuple of {known}, got {self.backends!r}")
        from .evidence import VERDICTS

        if self.expect is not None and self.expect not in VERDICTS:
            raise InputError(f"claim {self.id!r}: expect must be one of {VERDICTS} or None, got {self.expect!r}")

    def own_sizes(self, profile: str) -> dict:
        """The claim's own sizes at ``profile`` (empty where it has none)."""
        return dict(self.sizes.get(profile, {}))


REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry (ids are unique; its family one the profiles know)."""
    from .profiles import family_names

    if not isinstance(claim, Claim):
        raise InputError(f"register takes a verify.claim.Claim, got {type(claim).__name__}")
    if claim.family not in family_names():
        raise InputError(f"claim {claim.id!r} names the unknown profile family {claim.family!r}; known: "
                         f"{', '.join(family_names())}")
    if claim.id in REGISTRY:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    REGISTRY[claim.id] = claim
    return claim
