"""Claims about autoencoders as dynamical systems (paper Section 3).

``thm2-attractor-criterion`` tests Theorem 2 on maps whose fixed points and Jacobians are known
(:func:`theory.dynamics.known_maps`): the spectral-radius prediction against what iteration does.
"""

from __future__ import annotations

from gpu.fallbacks import eigvals
from theory import dynamics as dyn
from theory.common import fro

from ..evidence import Comparison, Measurement, Tolerance
from ..claim import Claim, register

FAMILY = "dynamics"


def make_data(ctx) -> dict:
    return {}


def _observed(xp, ratios, converge: float, leave: float) -> str:
    lo, hi = float(xp.min(ratios)), float(xp.max(ratios))
    if hi <= converge:
        return "attractor"
    if lo >= leave:
        return "repeller"
    return "mixed"


def check_criterion(data, ctx, *, rule: str = "largest") -> Measurement:
    """Predict attractor/repeller from ``max |lambda(J)|`` (Theorem 2) and compare with iteration.

    ``rule="smallest"`` (the negative control) predicts from ``min |lambda(J)|`` instead.
    """
    xp = ctx.xp
    p = ctx.sizes(FAMILY)
    comps, metrics = [], {}
    for k, m in enumerate(dyn.known_maps(xp, p["d"], rng=ctx.rng("thm2-maps"), dtype=ctx.float)):
        mods = xp.abs(eigvals(m.jacobian))
        rho = float(mods[0]) if rule == "largest" else float(mods[-1])
        predicted = dyn.classify(rho, p["band"])
        ratios = dyn.escape_ratio(m.f, m.fixed_point, p["radius"], p["steps"], p["starts"], rng=ctx.rng(f"thm2-{k}"))
        observed = _observed(xp, ratios, p["converge"], p["leave"])
        residual = fro(m.f(m.fixed_point[None, :])[0, :] - m.fixed_point)
        comps.append(Comparison(f"mismatch[{m.name}]", float(predicted != observed), 0.0))
        metrics[m.name] = {
            "spectral_radius": float(mods[0]), "smallest_modulus": float(mods[-1]),
            "jacobian_norm": float(xp.linalg.matrix_norm(m.jacobian, ord=2)), "predicted": predicted,
            "observed": observed, "distance_ratio_min": float(xp.min(ratios)),
            "distance_ratio_max": float(xp.max(ratios)), "fixed_point_residual": residual,
        }
    metrics["mismatches"] = sum(int(c.measured) for c in comps)
    tol = Tolerance(0.0, f"no mismatch: attractor when every start at distance {p['radius']:g} ends within "
                         f"{p['converge']:g}x that distance after at most {p['steps']} steps, repeller when every "
                         f"start ends at least {p['leave']:g}x farther; undecided band |rho - 1| <= {p['band']:g}")
    return Measurement(comps, metrics, tol, key="mismatches")


register(Claim(
    id="thm2-attractor-criterion",
    family="dynamics",
    paper_ref="Section 3.1, Theorem 2",
    statement="A fixed point is an attractor if the spectral radius of the Jacobian there is < 1 and a repeller if it is > 1 (maps with known fixed points, 1-D and non-normal d-D).",
    hypotheses=("f is differentiable at the fixed point", "starting points are close to the fixed point"),
    make_data=make_data,
    check=check_criterion,
    negative_control=lambda data, ctx: check_criterion(data, ctx, rule="smallest"),
    control_description="classify by the smallest eigenvalue modulus instead of the largest",
    data_keys=(),
))
