"""The trained convolutional claims (Tables 1 and 2, Appendix G) reach the verdict their operators
call for.  Their verdicts on trained networks depend on the profile's sizes, so these tests pin
the checks: training is replaced by an operator of known spectrum (the projection onto the span of
the training images: it memorizes; the identity: it memorizes nothing), and each claim must hold,
fail or be refuted exactly as that spectrum says, and never hold on a run that stopped above its
loss target.
"""

import numpy as np
import pytest

import gpu
from theory.conv_nets import FixedOperator
from theory.descent import DescentResult
from verify.claims import conv_training as ct
from verify.context import Context
from verify.evidence import HOLDS, INCONCLUSIVE, NOT_MET, NOT_REPRODUCED, REFUTED
from verify.profiles import get_profile
from verify.registry import get
from verify.runner import run_claim


def projection(X):
    Q, _ = np.linalg.qr(np.asarray(X).T)
    return Q @ Q.T


def identity(X):
    return np.eye(np.asarray(X).shape[1])


def fake(make, converged=True):
    """Stand-in for ``conv_training._train``: the operator ``make(X)``; a one-layer network (Table 2's
    negative control) learns the identity filter, as Theorem 4 says it does."""
    def train(ctx, X, net, p, steps=None, lr=None):
        loss = 0.0 if converged else 1e-3
        A = identity(X) if net.depth == 1 else make(X)
        return DescentResult((FixedOperator(A),), 10, loss, converged, "loss_tol" if converged else "max_steps", {}, [])
    return train


def patch(monkeypatch, train):
    """Replace training by ``train`` for one seed and for the seeds trained together."""
    monkeypatch.setattr(ct, "_train", train)
    monkeypatch.setattr(ct, "_train_seeds", lambda ctx, X, nets, p, steps=None, lr=None:
                        [train(ctx, X, net, p, steps, lr) for net in nets])


def run(claim_id):
    return run_claim(get(claim_id), Context(get_profile("quick"), gpu.resolve("numpy"), 0))


def test_table2_holds_on_the_projection_and_not_on_the_identity(monkeypatch):
    patch(monkeypatch, fake(projection))
    ev = run("tab2-heuristic-depth-memorizes")
    assert ev.verdict == HOLDS and ev.control_rejected is True, ev.to_dict()["comparisons"]
    rows = ev.to_dict()["statistics"]["rows"]
    assert rows and all(r["memorizing_seeds"]["k"] == r["memorizing_seeds"]["n"] == 2 for r in rows.values())
    patch(monkeypatch, fake(identity))
    ev = run("tab2-heuristic-depth-memorizes")
    scope = ev.to_dict()["scope"]
    assert ev.verdict == NOT_REPRODUCED and scope.startswith("largest size tried")
    assert "none" not in scope.split("every seed:")[-1]  # the rows that did not memorize are named
    patch(monkeypatch, fake(projection, converged=False))
    ev = run("tab2-heuristic-depth-memorizes")
    assert ev.verdict == INCONCLUSIVE and ev.reason.startswith("no run decided")


def test_table1_holds_on_the_identity_and_is_refuted_by_the_projection(monkeypatch):
    """Table 1 says shallow nets do not memorize: an identity operator (third eigenvalue 1) agrees;
    a projection onto the two images in every seed, trained to the target, contradicts it."""
    patch(monkeypatch, fake(identity))
    ev = run("tab1-filters-do-not-replace-depth")
    assert ev.verdict == HOLDS and ev.control_rejected is True, ev.to_dict()["comparisons"]
    patch(monkeypatch, fake(projection))
    ev = run("tab1-filters-do-not-replace-depth")
    assert ev.verdict == REFUTED and "memorize in every one of 2 seeds" in ev.reason
    patch(monkeypatch, fake(projection, converged=False))
    ev = run("tab1-filters-do-not-replace-depth")
    assert ev.verdict == INCONCLUSIVE  # memorizing but untrained operators decide nothing


@pytest.mark.parametrize("claim_id, images", [("appg-downsampling-memorizes", 2), ("appg-downsample-then-depth", 1)])
@pytest.mark.parametrize("make, converged, expected", [(projection, True, HOLDS), (identity, True, NOT_REPRODUCED),
                                                       (projection, False, INCONCLUSIVE)])
def test_appendix_g_verdict_follows_the_operator(claim_id, images, make, converged, expected, monkeypatch):
    """Both Appendix G networks (to 1 x 1 on 2 images; Figure 8's to a bottleneck then depth, on 1):
    the projection onto the images memorizes (rank = images, eigenvector(s) in their span), the
    identity does not, and a run above its target never holds."""
    from theory import conv_nets

    def train(net, X, **kw):
        ok = converged
        return DescentResult((FixedOperator(make(X)),), 10, 0.0 if ok else 1e-3, ok, "loss_tol" if ok else "max_steps", {}, [])

    monkeypatch.setattr(conv_nets, "train", train)
    ev = run(claim_id)
    assert len(ev.to_dict()["metrics"]["eigenvectors"]) == images
    assert ev.verdict == expected, (ev.reason, ev.to_dict()["comparisons"])
    assert ev.control_rejected is True
    st = ev.to_dict()["statistics"]
    if converged:
        assert st["memorizing_seeds"]["k"] == (2 if make is projection else 0)
    else:  # a run at loss 1e-3 that passed no loss level decides nothing
        assert st["memorizing_seeds"] is None and ev.reason.startswith("no run decided")
    if expected == HOLDS:
        assert st["per_seed"][0]["span_residual"] < 1e-12


def test_figure10_verdict_follows_what_the_outputs_are(monkeypatch):
    """Outputs that are the nearest training image (scaled: the network is homogeneous) are
    individual examples: the claim holds; outputs projected onto the images' span are combinations
    (the negative control's map): not reproduced; a run above its target never holds."""
    from theory import conv_nonlinear as cn

    class Nearest:
        def __init__(self, X):
            self.X = np.asarray(X)

        def __call__(self, Z):
            U = self.X / np.linalg.norm(self.X, axis=1, keepdims=True)
            k = np.argmax(np.asarray(Z) @ U.T, axis=1)
            return 2.5 * self.X[k]

    def fake(converged, maker):
        def train(model, X, **kw):
            return DescentResult((maker(X),), 10, 0.0 if converged else 1e-3, converged,
                                 "loss_tol" if converged else "max_steps", {}, [])
        return train

    monkeypatch.setattr(cn, "train", fake(True, Nearest))
    ev = run("fig10-outputs-are-examples")
    st = ev.to_dict()["statistics"]
    assert ev.verdict == HOLDS and ev.control_rejected is True, ev.to_dict()["comparisons"]
    assert st["individual"]["k"] == st["individual"]["n"] and st["combination"]["k"] == 0
    monkeypatch.setattr(cn, "train", fake(True, lambda X: (lambda Z: np.asarray(Z) @ projection(X))))
    ev = run("fig10-outputs-are-examples")
    st = ev.to_dict()["statistics"]
    assert ev.verdict == NOT_REPRODUCED and st["combination"]["k"] > st["individual"]["k"]
    monkeypatch.setattr(cn, "train", fake(False, Nearest))
    assert run("fig10-outputs-are-examples").verdict == INCONCLUSIVE  # no run decided


def test_lemma_and_theorem4_check_every_row_and_refuse_what_breaks_their_hypotheses():
    """Issue 28: a zero pixel breaks the Lemma's hypothesis (hypotheses-not-met, not a counterexample);
    every row of the user's data is checked (the order of the rows does not change the verdict); a
    1-pixel image is refused by Theorem 4."""
    import verify
    from theory.errors import InputError

    good = np.random.default_rng(0).uniform(0.1, 1.0, (1, 16))
    zero = good.copy()
    zero[0, 3] = 0.0
    for rows in (np.vstack([good, zero]), np.vstack([zero, good])):
        ev = verify.run(["lemma-forced-zero"], profile="quick", data={"X": rows}).evidence[0]
        assert ev.verdict == NOT_MET and "user row" in ev.reason and "zero pixel" in ev.reason
    ev = verify.run(["thm4-single-filter-full-rank"], profile="quick", data={"X": np.vstack([good, good[:, ::-1]])})
    assert {k for k in ev.evidence[0].measurement.metrics if k.startswith("user row")} == {"user row 0", "user row 1"}
    with pytest.raises(InputError, match="at least 2 x 2"):
        verify.run(["thm4-single-filter-full-rank"], profile="quick", data={"X": np.array([[0.5], [0.7]])})
