"""The run context handed to every claim: profile, backend, seed, options."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from gpu import Backend, to_backend

from .profiles import Profile


@dataclass(frozen=True)
class Context:
    """Profile, backend and seed of a run.

    ``step_factor`` scales every gradient-descent step relative to the claim's default
    (``1/lambda_max`` for the linear claims, half the largest stable step): a factor of 2 or
    more makes linear descent diverge.  ``activations`` restricts the nonlinear claims to these
    activation names (empty: the profile's).  ``cache`` lets claims of one run share training runs.
    """

    profile: Profile
    backend: Backend
    seed: int = 0
    step_factor: float = 1.0
    activations: tuple = ()
    data_dir: object = None  # a directory with MNIST / CIFAR-10 files, or None (bundled data)
    dtype: str = "float64"  # the floating dtype of every array the claims make ("float64" or "float32")
    cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    claim: object = field(default=None, compare=False, hash=False, repr=False)  # the claim being checked
    # told what a claim is drawing (every random stream it opens is named for its run: seed, size,
    # data set) so that a terminal can show progress within a claim; None: nobody is listening
    progress: object = field(default=None, compare=False, hash=False, repr=False)

    @property
    def xp(self):
        return self.backend.xp

    @property
    def float(self):
        """The run's floating dtype as an object of its namespace (``xp.float64`` or ``xp.float32``)."""
        return getattr(self.xp, self.dtype)

    def factored(self, family: str) -> bool:
        """Whether the family's trainers hold ``W = W0 + M X`` (the profile's ``factored`` switch; always
        on dask, where that form lets each chunk of output coordinates descend on its own worker)."""
        return bool(self.sizes(family).get("factored")) or self.backend.name == "dask"

    def sizes(self, family: str | None = None) -> dict:
        """The sizes the profile gives ``family`` (default: the claim being checked's), with, when
        the claim being checked belongs to it, the claim's own sizes merged over them
        (:meth:`verify.profiles.Profile.for_claim`)."""
        claim = self.claim
        if claim is not None and family in (None, claim.family):
            return self.profile.for_claim(claim)
        return dict(self.profile.for_family(family))

    def rng(self, stream: str) -> np.random.Generator:
        """A host generator determined by the run's seed and a stream name (stable across runs)."""
        if self.progress is not None:
            self.progress(stream)
        return np.random.default_rng([self.seed, zlib.crc32(stream.encode())])

    def asarray(self, host):
        """Host data onto the run's backend, in the run's dtype (float64 unless ``--dtype float32``)."""
        return to_backend(np.asarray(host, dtype=np.float64), self.xp, getattr(self.xp, self.dtype))
