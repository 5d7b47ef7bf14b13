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

from dataclasses import dataclass

from theory.errors import InputError


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    sizes: dict

    def for_family(self, family: str) -> dict:
        return self.sizes[family]


# the deep family's protocol: the verdict rests on ``optimizer``; every optimizer of ``optimizers``
# is measured (its own row of evidence); GD's step 0.05 trains 10 digits at widths 128-512 to 1e-10
# in 500-3,300 steps (measured); ``move_frac`` x spacing: a start has settled; ``margin``: marginal
# fixed points |rho - 1| <= 5%; trends at level ``alpha`` by a permutation test with ``resamples``
_PROTOCOL = dict(optimizer="adam", optimizers=("adam", "gd"), gd_lr=0.05, move_frac=1e-6, margin=0.05, alpha=0.05,
                 resamples=9999, loss_levels=(1e-8, 1e-10, 1e-12))

# every trained claim's protocol (verify.claims.training): Adam halves its step after ``patience`` steps
# without a 1% fall of the loss (theory.descent.Plateau); where it stops above the loss target, at
# most ``finish_iter`` L-BFGS iterations finish the descent (theory.finishing); a run that stops at
# a stationary point above the target is restarted from a new draw at most ``restarts`` times
_TRAIN = dict(plateau=dict(factor=0.5, patience=200, threshold=1e-2), restarts=2)

PROFILES = {
    "quick": Profile(
        "quick",
        "tiny problems, seconds in all (CI, tests)",
        {
            "linear": dict(n=6, d=48, cond=4.0, target=1e-9, max_steps=50_000, init_scales=(1e-2, 1e-1, 1.0), n_probe=8),
            "dynamics": dict(d=3, radius=1e-4, steps=400, starts=16, band=1e-6, converge=1e-2, leave=10.0),
            "deep": dict(swiss_n=6, grid=8, digits_n=3, super_n=3, held_out=10, arbitrary=6, width=32, depth=2, hidden="leaky_relu",
                         scheme="pytorch", init_scale=1.0, lr=1e-3, max_steps=3000, loss_tol=1e-10, iterations=50,
                         recover_frac=0.1, recover_min=0.9, band=1e-6, sweep_widths=(8, 16, 64), sweep_depths=(1, 2, 3),
                         sweep_width=32, sweep_depth=2, seeds=2, super_widths=(32, 64), super_depth=3,
                         contraction_widths=(16, 32), swiss_widths=(16, 32), sweep_sets=("digits",), **_PROTOCOL, **_TRAIN,
                         finish_iter=500, trend_seeds=3, contrast_seeds=3, gd_max_steps=3000,
                         super_gd_max_steps=500, settle_cap=500,
                         super_hidden="sigmoid", rho_small=0.1, strip=6, checkpoint_fractions=(0.1, 0.25, 0.5, 0.75), fig1_points=(-0.5, 0.5),
                         fig1_sizes=((8, 2), (32, 3)), fig1_seeds=3, fig1_reported_eps=(1e-8,), fig1_small_scale=0.01, fig1_large_scale=3.0,
                         fig1_majority=0.75, fig1_orbit_steps=30, init_margin=0.1,
                         fig11_n=10, fig11_held=10, fig11_width=32, fig11_steps=1000, fig11_recon=0.01, fig11_recover_min=0.5),
            "conv": dict(thm4_sizes=(2, 3, 4), thm4_steps=20_000, lemma_sizes=(2, 3, 4, 5), thm5_kernels=(3, 5),
                         thm5_max_s=8, thm5_filters=(1, 2), thm5_filters_max_s=5, cor_max_s=6,
                         tab2_rows=((2, 1), (3, 1)), tab1_depths=(2, 5), tab1_filters=(1, 4), tab_seeds=2, tab1_steps=5000,
                         tab_init_scale=1.0, tab_lr=1e-3, tab_steps=5000, tab_loss_tol=1e-10, loss_tol=1e-10, **_TRAIN, finish_iter=500, contrast_seeds=3, near_one=0.05,
                         small=0.5, appg_s=4, appg_width=4, appg_lr=3e-3, appg_steps=1500,
                         appg8_s=4, appg8_bottleneck=2, appg8_mid=3, appg8_width=4, appg8_lr=3e-3, appg8_steps=1500, appg_finish=300, appg8_finish=300,
                         apph_size=3, apph_depth=9, apph_steps=3000, apph_lr=1e-3, apph_inputs=20, apph_cosine=0.99,
                         fig10_images=2, fig10_filters=2, fig10_margin=0.1, fig10_majority=0.5, fig10_steps=3000,
                         initc_size=3, initc_depth=4, initc_filters=1, initc_lr=1e-3, initc_steps=3000, initc_inputs=20, initc_alpha=0.05, init_margin=0.1,
                         fig5_size=4, fig5_sets=(4, 8), fig5_width=8, fig5_mid=0, fig5_lr=1e-3, fig5_steps=300, fig5_finish=200, fig5_starts=6,
                         fig5_cap=200, fig5_recover_frac=0.1, fig5_band=1e-6, recover_min=0.9),
            "two_layer": dict(n=4, d=12, digits_n=0, widths=(100, 1000), laws=("gaussian", "rademacher"), seeds=(0,),
                              steps=50, eps=0.01),
            "construction": dict(n=4, d=12, digits_n=0, eps=1e-4, slope=0.5, samples=20_000, alpha=1e-3, steps=60,
                                 converge=1e-6),
            "single_layer": dict(n=4, d=24, cond=2.0, datasets=("synthetic",), digits_n=0, activations=("sigmoid", "tanh", "softplus", "exp_neg", "neg_tanh"),
                                 target=1e-5, max_steps=200_000, n_probe=8,
                                 mono_sizes=((4, 12), (6, 24)), mono_seeds=2, mono_activations=("sigmoid", "tanh"), mono_rows=4,
                                 mono_max_steps=20_000, mono_loss_tol=1e-12),
        },
    ),
    "default": Profile(
        "default",
        "the main job: sizes at which the claims mean something, minutes in all",
        {
            "linear": dict(n=32, d=256, cond=10.0, target=1e-9, max_steps=200_000, init_scales=(1e-3, 1e-2, 1e-1, 1.0), n_probe=32),
            "dynamics": dict(d=6, radius=1e-4, steps=2000, starts=64, band=1e-6, converge=1e-2, leave=10.0),
            "deep": dict(swiss_n=10, grid=20, digits_n=10, super_n=5, held_out=30, arbitrary=10, width=512, depth=3, hidden="leaky_relu",
                         scheme="pytorch", init_scale=1.0, lr=1e-3, max_steps=10000, loss_tol=1e-10, iterations=100,
                         recover_frac=0.1, recover_min=0.9, band=1e-6, sweep_widths=(32, 128, 512), sweep_depths=(1, 3, 5),
                         sweep_width=128, sweep_depth=3, seeds=5, super_widths=(64, 256), super_depth=6,
                         contraction_widths=(128, 512), swiss_widths=(64, 128), sweep_sets=("digits",), **_PROTOCOL, **_TRAIN,
                         finish_iter=2000, trend_seeds=15, contrast_seeds=15, gd_max_steps=10000, swiss_gd_max_steps=3000,
                         super_gd_max_steps=500, settle_cap=2000,
                         super_hidden="sigmoid", rho_small=0.1, strip=6, checkpoint_fractions=(0.1, 0.25, 0.5, 0.75), fig1_points=(-0.5, 0.5),
                         fig1_sizes=((16, 2), (64, 4)), fig1_seeds=15, fig1_reported_eps=(1e-8,), fig1_small_scale=0.01, fig1_large_scale=3.0,
                         fig1_majority=0.75, fig1_orbit_steps=30, init_margin=0.1,
                         fig11_n=50, fig11_held=50, fig11_width=128, fig11_steps=4000, fig11_recon=0.01, fig11_recover_min=0.5),
            "conv": dict(thm4_sizes=(2, 3, 4, 5, 6, 8), thm4_steps=50_000, lemma_sizes=(2, 3, 4, 5, 6, 8),
                         thm5_kernels=(3, 5), thm5_max_s=32, thm5_filters=(1, 2, 3), thm5_filters_max_s=6,
                         cor_max_s=12, tab2_rows=((2, 1), (3, 1), (4, 1), (5, 1), (3, 3), (5, 5)),
                         tab1_depths=(2, 5, 8), tab1_filters=(1, 16), tab_seeds=5, tab1_steps=20000, tab_init_scale=1.0,
                         tab_lr=1e-3, tab_steps=20000, tab_loss_tol=1e-10, loss_tol=1e-10, **_TRAIN, finish_iter=3000, contrast_seeds=15,
                         near_one=0.05, small=0.5, appg_s=8,
                         appg_width=8, appg_lr=3e-3, appg_steps=4000,
                         appg8_s=8, appg8_bottleneck=4, appg8_mid=29, appg8_width=4, appg8_lr=1e-3, appg8_steps=1500, appg_finish=1000, appg8_finish=1000,
                         apph_size=4, apph_depth=29, apph_steps=10000, apph_lr=1e-3, apph_inputs=50, apph_cosine=0.99,
                         fig10_images=3, fig10_filters=4, fig10_margin=0.1, fig10_majority=0.5, fig10_steps=3000,
                         initc_size=3, initc_depth=9, initc_filters=1, initc_lr=1e-3, initc_steps=5000, initc_inputs=50, initc_alpha=0.05, init_margin=0.1,
                         fig5_size=4, fig5_sets=(10, 40), fig5_width=32, fig5_mid=0, fig5_lr=1e-3, fig5_steps=2000, fig5_finish=1500, fig5_starts=20,
                         fig5_cap=500, fig5_recover_frac=0.1, fig5_band=1e-6, recover_min=0.9),
            "two_layer": dict(n=5, d=64, digits_n=5, widths=(100, 1000, 10_000), laws=("gaussian", "rademacher", "uniform"),
                              seeds=(0, 1), steps=100, eps=0.01),
            "construction": dict(n=8, d=64, digits_n=10, eps=1e-4, slope=0.5, samples=100_000, alpha=1e-3, steps=60,
                                 converge=1e-6),
            "single_layer": dict(n=8, d=64, cond=3.0, datasets=("synthetic", "digits"), digits_n=8, activations=("sigmoid", "tanh", "softplus", "exp_neg", "neg_tanh"),
                                 target=1e-8, max_steps=200_000, n_probe=32,
                                 mono_sizes=((4, 12), (8, 32), (16, 64)), mono_seeds=5, mono_activations=("sigmoid", "tanh"),
                                 mono_rows=4, mono_max_steps=10_000, mono_loss_tol=1e-12),
        },
    ),
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
            "deep": dict(swiss_n=10, grid=16, digits_n=10, super_n=10, held_out=60, arbitrary=20, width=512, depth=3, hidden="leaky_relu",
                         scheme="pytorch", init_scale=1.0, lr=1e-3, max_steps=10000, loss_tol=1e-10, iterations=200,
                         recover_frac=0.1, recover_min=0.9, band=1e-6, sweep_widths=(128, 256, 512, 1024), sweep_depths=(2, 4, 6, 8),
                         sweep_width=256, sweep_depth=3, seeds=5, super_widths=(256, 512), super_depth=6,
                         contraction_widths=(128, 512, 1024), swiss_widths=(128, 512, 1024),
                         sweep_sets=("digits", "swiss-roll"), **_PROTOCOL, **_TRAIN, finish_iter=3000, trend_seeds=15,
                         contrast_seeds=15, gd_max_steps=20000, swiss_gd_max_steps=5000, super_gd_max_steps=5000, settle_cap=2000,
                         super_hidden="sigmoid", rho_small=0.1, strip=6, checkpoint_fractions=(0.1, 0.25, 0.5, 0.75), fig1_points=(-0.5, 0.5),
                         fig1_sizes=((16, 2), (128, 6)), fig1_seeds=15, fig1_reported_eps=(1e-8,), fig1_small_scale=0.01, fig1_large_scale=3.0,
                         fig1_majority=0.75, fig1_orbit_steps=30, init_margin=0.1,
                         fig11_n=200, fig11_held=200, fig11_width=512, fig11_steps=20000, fig11_recon=0.01, fig11_recover_min=0.5),
            "conv": dict(thm4_sizes=(2, 3, 4, 6, 8, 12, 16), thm4_steps=100_000, lemma_sizes=(2, 3, 4, 8, 16),
                         thm5_kernels=(3, 5, 7), thm5_max_s=32, thm5_filters=(1, 2, 4), thm5_filters_max_s=8,
                         cor_max_s=16,
                         tab2_rows=((2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (3, 3), (5, 5), (6, 5)),
                         tab1_depths=(2, 5, 8), tab1_filters=(1, 16, 128), tab_seeds=5, tab1_steps=3000, tab_init_scale=1.0,
                         tab_lr=1e-3, tab_steps=50000, tab_loss_tol=1e-10, loss_tol=1e-10, **_TRAIN, finish_iter=5000, contrast_seeds=15,
                         near_one=0.05, small=0.5, appg_s=32,
                         appg_width=16, appg_lr=1e-3, appg_steps=10000,
                         appg8_s=32, appg8_bottleneck=4, appg8_mid=29, appg8_width=8, appg8_lr=1e-3, appg8_steps=5000, appg_finish=3000, appg8_finish=3000,
                         apph_size=4, apph_depth=29, apph_steps=20000, apph_lr=1e-3, apph_inputs=100, apph_cosine=0.99,
                         fig10_images=5, fig10_filters=8, fig10_margin=0.1, fig10_majority=0.5, fig10_steps=20000,
                         initc_size=4, initc_depth=29, initc_filters=1, initc_lr=1e-3, initc_steps=20000, initc_inputs=100, initc_alpha=0.05, init_margin=0.1,
                         fig5_size=8, fig5_sets=(10, 100), fig5_width=32, fig5_mid=2, fig5_lr=1e-3, fig5_steps=10000, fig5_finish=3000, fig5_starts=50,
                         fig5_cap=2000, fig5_recover_frac=0.1, fig5_band=1e-6, recover_min=0.9),
            "two_layer": dict(n=10, d=256, digits_n=10, widths=(100, 1000, 10_000, 100_000),
                              laws=("gaussian", "rademacher", "uniform"), seeds=(0, 1, 2), steps=200, eps=0.01),
            "construction": dict(n=50, d=256, digits_n=50, eps=1e-4, slope=0.5, samples=200_000, alpha=1e-3, steps=60,
                                 converge=1e-6),
            "single_layer": dict(n=20, d=256, cond=5.0, datasets=("synthetic", "digits"), digits_n=20, activations=("sigmoid", "tanh", "softplus", "exp_neg", "neg_tanh"),
                                 target=1e-8, max_steps=2_000_000, n_probe=64,
                                 mono_sizes=((4, 12), (16, 64), (32, 128)), mono_seeds=5, mono_activations=("sigmoid", "tanh"),
                                 mono_rows=4, mono_max_steps=200_000, mono_loss_tol=1e-12),
        },
    ),
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
                             max_steps=200_000, n_probe=64, factored=True, init_rank=64,
                             mono_sizes=((4, 12), (16, 64), (32, 128)), mono_seeds=5, mono_activations=("sigmoid", "tanh"),
                             mono_rows=4, mono_max_steps=200_000, mono_loss_tol=1e-12),
        "two_layer": dict(n=10, d=784, digits_n=10, widths=(1000, 100_000, 1_000_000), laws=("gaussian", "rademacher"),
                          seeds=(0,), steps=100, eps=0.01),
        "conv": dict(_PAPER["conv"], lemma_sizes=(2, 4, 8, 16, 32), tab2_rows=PROFILES["default"].sizes["conv"]["tab2_rows"],
                     tab1_filters=(1, 16), tab1_steps=20000, tab_steps=20000, appg_s=32, appg_width=16,
                     appg_steps=20000),
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
