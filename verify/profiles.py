"""Run profiles: how large each family's checks are.

* ``quick``: seconds; used by CI, the tests and the stop hook;
* ``default``: the main job (``python -m verify``);
* ``paper``: paper-sized (MNIST-like dimensions); may be slow;
* ``large``: sizes only a GPU reaches (linear and Theorem 1 at d = 65,536, Theorem 3 at k = 10^6,
  Appendix G's convolution operators on 32 x 32 x 3 images); the linear and Theorem 1 trainers run
  factored (``W = W0 + M X``, never d x d) from low-rank random initialisations; the deep,
  dynamics and construction claims at the paper profile's sizes.  A memory plan
  (:mod:`verify.plan`) refuses claims that cannot fit before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from theory.errors import InputError


@dataclass(frozen=True)
class Profile:
    """A profile: its ``sizes`` per model family (what the family's claims share); ``base``, the
    profile whose sizes the claims' own records give for it (default: its name; a derived profile,
    such as the tests' smaller ones, names the one it derives from); and ``claims``, overrides of
    claims' own sizes (:attr:`verify.claim.Claim.sizes`) by claim id."""

    name: str
    description: str
    sizes: dict
    claims: dict = field(default_factory=dict)
    base: str = ""

    def for_family(self, family: str) -> dict:
        return self.sizes[family]

    def for_claim(self, claim) -> dict:
        """What ``claim`` (a :class:`verify.claim.Claim`) reads at this profile: its family's sizes,
        its own sizes at this profile over them, and this profile's overrides for it over those."""
        return {**self.sizes[claim.family], **claim.own_sizes(self.base or self.name), **self.claims.get(claim.id, {})}


# the deep family's protocol: the verdict rests on ``optimizer`` (Adam with PyTorch's default eps
# ``adam_eps`` 1e-8: the paper ran PyTorch); every optimizer of ``optimizers`` is measured (its own row of evidence); GD's step 0.05 trains 10 digits at widths 128-512 to 1e-10
# in 500-3,300 steps (measured); ``move_frac`` x spacing: a start has settled; ``margin``: marginal
# fixed points |rho - 1| <= 5%; trends at level ``alpha`` by a permutation test with ``resamples``
_PROTOCOL = dict(optimizer="adam", optimizers=("adam", "gd"), gd_lr=0.05, move_frac=1e-6, margin=0.05, alpha=0.05,
                 resamples=9999, loss_levels=(1e-8, 1e-10, 1e-12), adam_eps=1e-8)

# every trained claim's protocol (verify.claims.training): Adam halves its step after ``patience`` steps
# without a 1% fall of the loss (theory.descent.Plateau); where it stops above the loss target, at
# most ``finish_iter`` L-BFGS iterations finish the descent (theory.finishing); a run that stops at
# a stationary point above the target is restarted from a new draw at most ``restarts`` times; the conv
# family's Adam runs without an eps floor (``adam_eps`` None: the dtype's sqrt of its smallest normal),
# which lets its deep linear stacks reach 1e-10; PyTorch's 1e-8 is swept by its claims' records
_TRAIN = dict(plateau=dict(factor=0.5, patience=200, threshold=1e-2), restarts=2)

PROFILES = {
    "quick": Profile(
        "quick",
        "tiny problems, seconds in all (CI, tests)",
        {
            "linear": dict(n=6, d=48, cond=4.0, target=1e-9, max_steps=50_000, init_scales=(1e-2, 1e-1, 1.0), n_probe=8),
            "dynamics": dict(d=3, radius=1e-4, steps=400, starts=16, band=1e-6, converge=1e-2, leave=10.0),
            "deep": dict(swiss_n=6, grid=8, digits_n=3, held_out=10, arbitrary=6, width=32, depth=2, hidden="leaky_relu",
                         scheme="pytorch", init_scale=1.0, lr=1e-3, max_steps=3000, loss_tol=1e-10, iterations=50,
                         band=1e-6, seeds=2, **_PROTOCOL, **_TRAIN,
                         finish_iter=500, gd_max_steps=3000, settle_cap=500),
            "conv": dict(seeds=2, loss_tol=1e-10, **_TRAIN, finish_iter=500, adam_eps=None),
            "two_layer": dict(n=4, d=12, digits_n=0, widths=(100, 1000), laws=("gaussian", "rademacher"), seeds=(0,),
                              steps=50, eps=0.01),
            "construction": dict(n=4, d=12, digits_n=0, eps=1e-4, slope=0.5, samples=20_000, alpha=1e-3, steps=60,
                                 converge=1e-6),
            "single_layer": dict(n=4, d=24, cond=2.0, datasets=("synthetic",), digits_n=0, activations=("sigmoid", "tanh", "softplus", "exp_neg", "neg_tanh"),
                                 target=1e-5, max_steps=200_000, n_probe=8),
        }),
    "default": Profile(
        "default",
        "the main job: sizes at which the claims mean something, minutes in all",
        {
            "linear": dict(n=32, d=256, cond=10.0, target=1e-9, max_steps=200_000, init_scales=(1e-3, 1e-2, 1e-1, 1.0), n_probe=32),
            "dynamics": dict(d=6, radius=1e-4, steps=2000, starts=64, band=1e-6, converge=1e-2, leave=10.0),
            "deep": dict(swiss_n=10, grid=20, digits_n=10, held_out=30, arbitrary=10, width=512, depth=3, hidden="leaky_relu",
                         scheme="pytorch", init_scale=1.0, lr=1e-3, max_steps=10000, loss_tol=1e-10, iterations=100,
                         band=1e-6, seeds=5, **_PROTOCOL, **_TRAIN,
                         finish_iter=2000, gd_max_steps=10000, swiss_gd_max_steps=3000, settle_cap=2000),
            "conv": dict(seeds=5, loss_tol=1e-10, **_TRAIN, finish_iter=3000, adam_eps=None),
            "two_layer": dict(n=5, d=64, digits_n=5, widths=(100, 1000, 10_000), laws=("gaussian", "rademacher", "uniform"),
                              seeds=(0, 1), steps=100, eps=0.01),
            "construction": dict(n=8, d=64, digits_n=10, eps=1e-4, slope=0.5, samples=100_000, alpha=1e-3, steps=60,
                                 converge=1e-6),
            "single_layer": dict(n=8, d=64, cond=3.0, datasets=("synthetic", "digits"), digits_n=8, activations=("sigmoid", "tanh", "softplus", "exp_neg", "neg_tanh"),
                                 target=1e-8, max_steps=200_000, n_probe=32),
        }),
    "paper": Profile(
        "paper",
        "paper-like sizes (d = 784 as for MNIST); slow",
        {
            "linear": dict(n=100, d=784, cond=30.0, target=1e-9, max_steps=1_000_000, init_scales=(1e-3, 1e-2, 1e-1, 1.0), n_probe=64),
            "dynamics": dict(d=32, radius=1e-4, steps=5000, starts=256, band=1e-6, converge=1e-2, leave=10.0),
            # the width and depth sweeps (sec3-contraction and sec3-recovery-width-depth, one run: they
            # share their networks) to width 1024 and depth 8 on both data sets, 5 seeds, both optimizers,
            # within an hour on 2 CPU cores (measured on this machine, per seed: Swiss roll 1024 x 4 under
            # Adam 6,243 steps, 114 s; GD on the Swiss roll reaches 4.8e-9 after 20,000 steps at 1024 x 2,
            # so its budget is ``swiss_gd_max_steps`` and those runs are reported as stopped)
            "deep": dict(swiss_n=10, grid=16, digits_n=10, held_out=60, arbitrary=20, width=512, depth=3, hidden="leaky_relu",
                         scheme="pytorch", init_scale=1.0, lr=1e-3, max_steps=10000, loss_tol=1e-10, iterations=200,
                         band=1e-6, seeds=5, **_PROTOCOL, **_TRAIN,
                         finish_iter=3000, gd_max_steps=20000, swiss_gd_max_steps=5000, settle_cap=2000),
            "conv": dict(seeds=5, loss_tol=1e-10, **_TRAIN, finish_iter=5000, adam_eps=None),
            "two_layer": dict(n=10, d=256, digits_n=10, widths=(100, 1000, 10_000, 100_000),
                              laws=("gaussian", "rademacher", "uniform"), seeds=(0, 1, 2), steps=200, eps=0.01),
            "construction": dict(n=50, d=256, digits_n=50, eps=1e-4, slope=0.5, samples=200_000, alpha=1e-3, steps=60,
                                 converge=1e-6),
            "single_layer": dict(n=20, d=256, cond=5.0, datasets=("synthetic", "digits"), digits_n=20, activations=("sigmoid", "tanh", "softplus", "exp_neg", "neg_tanh"),
                                 target=1e-8, max_steps=2_000_000, n_probe=64),
        }),
}


_PAPER = PROFILES["paper"].sizes
PROFILES["large"] = Profile(
    "large",
    "sizes only a GPU reaches: linear d = 65,536 / n = 8,192, Theorem 1 d = 65,536, Theorem 3 k = 10^6, 32 x 32 x 3 convs",
    {
        "linear": dict(n=8192, d=65536, cond=2.0, target=1e-9, max_steps=20_000, init_scales=(1e-2, 1e-1, 1.0),
                       n_probe=64, factored=True, init_rank=64),
        "single_layer": dict(n=1024, d=65536, cond=2.0, datasets=("synthetic",), digits_n=0,
                             activations=("sigmoid", "tanh", "softplus", "exp_neg", "neg_tanh"), target=1e-8,
                             max_steps=200_000, n_probe=64, factored=True, init_rank=64),
        "two_layer": dict(n=10, d=784, digits_n=10, widths=(1000, 100_000, 1_000_000), laws=("gaussian", "rademacher"),
                          seeds=(0,), steps=100, eps=0.01),
        "conv": _PAPER["conv"],
        "dynamics": _PAPER["dynamics"],
        "deep": _PAPER["deep"],
        "construction": _PAPER["construction"],
    },
)


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise InputError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None


def family_names() -> tuple:
    """The profile families a claim may name (:attr:`verify.claim.Claim.family`): every profile's."""
    return tuple(sorted(set.intersection(*(set(p.sizes) for p in PROFILES.values()))))
