"""Adding a claim touches its record and nothing else (issue 27): a claim registered from outside
memverify's own modules, with its own sizes per profile, backends, options, memory estimate and
figure, is run, planned, drawn and listed by the harness from its record alone."""

import numpy as np
import pytest

import verify
from theory.errors import InputError
from verify import plan
from verify.claim import REGISTRY, Claim, register
from verify.evidence import HOLDS, Comparison, Measurement, Tolerance
from verify.report import claims_markdown

ID = "toy-trace-of-projection"
SIZES = {name: dict(n=n, d=d) for name, n, d in (("quick", 3, 8), ("default", 4, 16), ("paper", 5, 32),
                                                 ("large", 6, 64))}
DRAWN = []


def make_data(ctx):
    p = ctx.sizes()  # the linear family's sizes with this claim's own n and d over them
    return {"X": ctx.asarray(ctx.rng("toy").standard_normal((p["n"], p["d"])))}


def check(data, ctx, *, wrong: bool = False):
    """trace(X^+ X) = rank X = n for n < d generic rows (the trace of the projection onto the row space)."""
    X = np.asarray(data["X"])
    n = X.shape[0]
    trace = float(np.trace(np.linalg.pinv(X) @ X)) + (1.0 if wrong else 0.0)
    tol = 10 * X.shape[1] * np.finfo(float).eps * np.linalg.cond(X)
    return Measurement([Comparison("|trace - n|", abs(trace - n), tol)], {"trace": trace, "n": n},
                       Tolerance(tol, "10 d eps cond(X): a pseudo-inverse's rounding"), key="trace")


def memory(sizes, itemsize):
    return 3 * sizes["n"] * sizes["d"] * itemsize, f"three {sizes['n']} x {sizes['d']} arrays"


def figure(ev, plt):
    DRAWN.append(ev.id)
    fig, ax = plt.subplots()
    ax.bar(["trace", "n"], [ev.measurement.metrics["trace"], ev.measurement.metrics["n"]])
    return fig


@pytest.fixture
def toy():
    claim = register(Claim(
        id=ID, family="linear", sizes=SIZES, paper_ref="(a test's claim)", statement="trace(X^+ X) = n.",
        hypotheses=("n < d",), make_data=make_data, check=check,
        negative_control=lambda data, ctx: check(data, ctx, wrong=True), control_description="add one to the trace",
        backends=("numpy",), memory=memory, figure=figure, expect=HOLDS))
    try:
        yield claim
    finally:
        del REGISTRY[ID]


def test_a_claim_is_run_planned_drawn_and_listed_from_its_record(toy, tmp_path):
    report = verify.run([ID], profile="default")
    ev = report.evidence[0]
    assert ev.verdict == toy.expect and ev.control_rejected is True
    assert ev.measurement.metrics["n"] == SIZES["default"]["n"]  # its own sizes, not the linear family's
    assert report.provenance["memory_plan_bytes"][ID] == 3 * 4 * 16 * 8 + plan.BASE
    from verify.human import write_report

    write_report(report, tmp_path / "report")
    assert DRAWN == [ID] and (tmp_path / "report" / "figures" / f"{ID}.png").is_file()
    assert f"| `{ID}` |" in claims_markdown()


def test_a_claims_backends_come_from_its_record(toy):
    """A claim that lists no "dask" is refused on that backend, with the claims that run there."""
    with pytest.raises(InputError, match=f"not {ID}"):
        verify.run([ID], backend="dask")


def test_a_record_is_checked_when_it_is_made():
    base = dict(id="x", paper_ref="", statement="", hypotheses=(), make_data=None, check=None, negative_control=None,
                control_description="")
    with pytest.raises(InputError, match="names no profile family"):
        Claim(**base)
    with pytest.raises(InputError, match="unknown profiles"):
        Claim(**base, family="linear", sizes={"huge": {}})
    with pytest.raises(InputError, match="unknown options"):
        Claim(**base, family="linear", options=("colour",))
    with pytest.raises(InputError, match="is empirical"):
        Claim(**base, family="linear", empirical=True, expect=HOLDS)
