"""A :func:`verify.analyze` result as the claims' evidence, so that ``memverify analyze`` writes the
same terminal table, JSON and HTML reports and the same regression baselines as the claims.

Each question the paper asks becomes one row, answered ``yes`` when the model has the property and
``no`` when it does not, with the answer in the question's own words ("3 of 10 examples attract;
7 repel"): a user's model reproduces no claim of the paper, so the rows do not take the claims'
verdicts.  A ``no`` exits 3, as a claim that falls short does.
Every row's negative control is a map with none of the properties, analysed on the same data: the
constant map onto a point at least ten spacings from every example (:func:`far_map`; no example
is fixed, nothing is recovered), and for a linear model's row the zero matrix (no eigenvalue near
1).  A row whose check accepted its control could not tell memorization from its absence.

* ``fixed-points``: every training example is a fixed point (``||f(x_i) - x_i||`` within
  ``recover_frac`` of the examples' smallest spacing);
* ``attractors``: every example is an attractor by Theorem 2 (a fixed point with ``rho(J) < 1 - band``);
* ``recovery``: at least ``recover_min`` of the starts, iterated until settled, end at an example;
* ``superattraction``: at least ``recover_min`` of the starts land on an example in one step, ``R(1)``;
* ``linear-memorization`` (linear models only): as many eigenvalues within ``margin`` of 1 as
  examples, their eigenvectors within ``margin`` of the examples' span.
"""

from __future__ import annotations

import numpy as np

from theory import stats

from .analysis import NOT_FIXED
from .evidence import Comparison, Evidence, Measurement, Tolerance

ANALYSIS_IDS = ("fixed-points", "attractors", "recovery", "superattraction", "linear-memorization")
CONTROL = ("a constant map onto a point ten spacings from every example (no example is fixed, nothing is "
           "recovered); for a linear model's row the zero matrix")


def measurements(a, *, recover_min: float) -> dict:
    """``{id: Measurement}`` for one :class:`verify.analysis.Analysis`."""
    s = a.settings
    spacing, frac = s["spacing"], s["recover_frac"]
    n = len(a.spectral_radius)
    dist = list(getattr(a, "fixed_point_distance", []) or a.fixed_point_residual)
    worst = max(dist) / spacing
    moved = [i for i, r in enumerate(dist) if r / spacing > frac]
    out = {"fixed-points": Measurement(
        [Comparison("max distance from x_i to its fixed point / spacing", worst, frac)],
        {"max_distance_over_spacing": worst, "distances": dist, "residuals": list(a.fixed_point_residual),
         "spacing": spacing, "not_fixed": moved},
        Tolerance(frac, f"a fixed point: the fixed point near x_i (Newton from x_i, else iteration; Theorem 2 "
                        f"speaks of it) within {frac:g} of the examples' smallest spacing; ||f(x_i) - x_i|| is reported "
                        "beside it"),
        key="max_distance_over_spacing",
        notes=_listed("not fixed points", [f"example {i}: distance to its fixed point / spacing = "
                                           f"{dist[i] / spacing:.3g} (||f(x) - x|| / spacing "
                                           f"{a.fixed_point_residual[i] / spacing:.3g})" for i in moved]),
        scope=f"{n - len(moved)} of {n} examples lie at a fixed point" + (
            f"; {len(moved)} do not (worst distance to the nearby fixed point / spacing {worst:.3g}, at most {frac:g} "
            "asked; inf: none found)" if moved else ""))}
    att = a.attractor_fraction
    err = list(getattr(a, "jacobian_error_norm", []) or [0.0] * n)
    others = [i for i, c in enumerate(a.classification) if c != "attractor"]
    counts = {c: a.classification.count(c) for c in ("repeller", "undecided", NOT_FIXED)}
    why = list(getattr(a, "undecided_why", []) or [])
    out["attractors"] = Measurement(
        [Comparison("attractor fraction (Theorem 2)", att["value"], 1.0, ">=")],
        {"attractor_fraction": att["value"], "spectral_radius": list(a.spectral_radius),
         "classification": list(a.classification), "jacobian": a.jacobian_source, "jacobian_error_norm": err,
         "certificate_margin": list(getattr(a, "certificate_margin", []))},
        Tolerance(s["band"], f"an attractor: a fixed point with rho(J(x_i)) < 1 - {s['band']:g} for every Jacobian within "
                             f"the error bound of the measured one (Jacobian: {a.jacobian_source}; pseudospectral "
                             "certificate, theory.pseudospectra.classify_within)"),
        key="attractor_fraction",
        notes=_listed("not attractors", [f"example {i}: {a.classification[i]} (rho {a.spectral_radius[i]:.4g}"
                                         + (f" +- {err[i]:.2g}" if err[i] else "") + ")"
                                         + (f": {why[i]}" if i < len(why) and why[i] else "") for i in others])
        + _listed("per example (class, rho at its fixed point, distance to it / spacing)",
                  [f"{i}: {c}, {a.spectral_radius[i]:.4g}, {dist[i] / spacing:.3g}"
                   for i, c in enumerate(a.classification)], limit=40)
        + ([f"Jacobian error bound ||E||_2 per example: up to {max(err):.2g} (d x the finite differences' "
            "per-entry bound); an example whose class any Jacobian within it could change is undecided"]
           if max(err) > 0 else []),
        scope=f"{n - len(others)} of {n} examples attract" + "".join(
            f"; {k} {_CLASS_WORDS[c]}" + (f" ({_reasons(why, a.classification)})" if c == "undecided" else "")
            for c, k in counts.items() if k),
        statistics={"seeds": 1, "attractor_fraction": att, "rho": stats.rho_classes(a.spectral_radius, s["margin"])})
    r = a.recovery
    out["recovery"] = Measurement(
        [Comparison("starts recovered when settled", r["fraction_recovered"]["value"], recover_min, ">=")],
        {"recovered": r["fraction_recovered"]["value"], "starts": r["starts"], "spurious": r["spurious"],
         "unsettled": r["unsettled"], "curve": r["curve"], "spurious_attractors": len(a.spurious_attractors),
         "spurious_not_attracting": len(getattr(a, "spurious_fixed_points", [])),
         "reached_counts": r.get("reached_counts", []), "examples_reached": r.get("examples_reached")},
        Tolerance(recover_min, f"at least {recover_min:g} of {r['starts']} starts end within {frac:g} x the spacing of "
                               f"an example, iterated until they settle (cap {r['cap']})"),
        key="recovered", statistics={"seeds": 1, "recovered": r["fraction_recovered"],
                                     "own_example": r.get("own_example"), "examples_reached": r.get("examples_reached")},
        notes=[f"starts: {r.get('starts_drawn', 'given')}"] + ([
            f"{r['own_example']['k']} of {r['own_example']['n']} starts tied to an example return to it; "
            f"{r['examples_reached']} of {n} examples are reached"] if r.get("own_example") else []),
        scope=(f"{r['recovered']} of {r['starts']} starts reach some example (a fraction of at least {recover_min:g} "
               f"asked), {r['examples_reached']} of {n} examples reached"
               + (f", {r['own_example']['k']}/{r['own_example']['n']} return to their own" if r.get("own_example") else "")))
    R1 = a.superattraction["R1"]
    out["superattraction"] = Measurement(
        [Comparison("R(1): starts on an example after one step", float("nan") if R1 is None else R1, recover_min, ">=")],
        {"R1": R1, "R1_by_kind": a.superattraction.get("R1_by_kind", {}),
         "superattractors": a.superattraction["superattractors"], "rho_small": a.superattraction["rho_small"]},
        Tolerance(recover_min, f"at least {recover_min:g} of the starts within {frac:g} x the spacing of an example "
                               "after one application"),
        key="R1",
        notes=[f"starts: {r.get('starts_drawn', 'given')}; R(1) by kind of start: "
               + ", ".join(f"{k} {v:.3g}" for k, v in a.superattraction.get("R1_by_kind", {}).items())],
        scope=(f"R(1) = {'none' if R1 is None else format(R1, '.3g')} of the starts on an example after one step "
               f"(at least {recover_min:g} asked)" + ("; by kind of start: " + ", ".join(
                   f"{k} {v:.3g}" for k, v in a.superattraction["R1_by_kind"].items())
                   if a.superattraction.get("R1_by_kind") else "")))
    if a.linear is not None:
        lin, margin = a.linear, s["margin"]
        dist = max(lin["eigenvector_span_distance"], default=float("inf"))
        near = len(lin["eigenvalues_near_one"])
        out["linear-memorization"] = Measurement(
            [Comparison("eigenvalues within margin of 1", float(near), float(n), ">="),
             Comparison("rank", float(lin["rank"]), float(n)),
             Comparison("largest distance of their eigenvectors from span(X)", dist, margin)],
            {"rank": lin["rank"], "eigenvalues_near_one": lin["eigenvalues_near_one"],
             "eigenvector_span_distance": lin["eigenvector_span_distance"], "largest_distance": dist},
            Tolerance(margin, f"memorizes: rank at most n = {n}, n eigenvalues within {margin:g} of 1, their "
                              f"eigenvectors within {margin:g} of the examples' span"),
            key="largest_distance")
    return out


_CLASS_WORDS = {"repeller": "repel", "undecided": "undecided", NOT_FIXED: "are not fixed points"}


def _reasons(why: list, classes: list) -> str:
    """Why the undecided examples are undecided: the first reason, and how many give another."""
    found = [w for w, c in zip(why, classes) if c == "undecided" and w]
    if not found:
        return "the reason was not recorded"
    others = sum(1 for w in found if w != found[0])
    return found[0] + (f"; {others} for another reason (in the notes)" if others else "")


def _listed(what: str, lines: list, limit: int = 10) -> list:
    """Per-example lines for a report's notes: the first ``limit``, then how many more."""
    if not lines:
        return []
    more = f"; and {len(lines) - limit} more (all in the JSON's metrics)" if len(lines) > limit else ""
    return [f"{what}: " + "; ".join(lines[:limit]) + more]


def evidence(a, control, *, recover_min: float, model: str, seconds: float, linear_control=None) -> list:
    """The rows of the report: each measurement of ``a`` with the same measurement of ``control``
    (of ``linear_control`` for the linear row) as its negative control."""
    mine, ctl = measurements(a, recover_min=recover_min), measurements(control, recover_min=recover_min)
    if linear_control is not None:
        ctl["linear-memorization"] = measurements(linear_control, recover_min=recover_min)["linear-memorization"]
    out = []
    for rid in ANALYSIS_IDS:
        if rid not in mine:
            continue
        m = mine[rid]
        m.question = True  # answered yes or no: a user's model has the property or it does not
        c = ctl.get(rid)
        if c is not None:
            c.question = True
        own = getattr(a, "timings", {}).get(rid)  # the question's own steps (the linear row: the whole analysis)
        out.append(Evidence(rid, PAPER_REFS[rid], _STATEMENTS[rid], (), m, CONTROL, c, seconds if own is None else own))
    return out


def far_map(X):
    """The constant map onto ``x_0 + (diameter + 10 spacing) e_1``: at least ten spacings from
    every example (``||c - x_i|| >= diameter + 10 s - ||x_i - x_0||``)."""
    from theory.dynamics import min_spacing

    X = np.asarray(X, dtype=np.float64)
    c = X[0].copy()
    c[0] += float(np.max(np.linalg.norm(X - X[0], axis=1))) + 10.0 * min_spacing(X)

    def f(Z):
        return np.broadcast_to(c, np.shape(Z)).copy()

    return f


PAPER_REFS = {  # the statement of the paper each row asks of the user's model
    "fixed-points": "Section 3 (training examples as fixed points)",
    "attractors": "Section 3, Theorem 2",
    "recovery": "Section 3.3 (recovery by iteration)",
    "superattraction": "Section 3.3 (superattraction, R(1))",
    "linear-memorization": "Section 2 (the linear autoencoder)",
}

_STATEMENTS = {
    "fixed-points": "Every training example is a fixed point of the model.",
    "attractors": "Every training example is an attractor: a fixed point with spectral radius of the Jacobian below 1 (Theorem 2).",
    "recovery": "Iterated until they settle, the starts end at training examples.",
    "superattraction": "One application of the model maps the starts onto training examples (superattraction).",
    "linear-memorization": "The linear model memorizes: as many eigenvalues near 1 as examples, with eigenvectors in their span, and rank at most n.",
}
