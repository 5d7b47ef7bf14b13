"""Seeds of a uniform convolutional stack trained as one stacked computation
(:mod:`theory.conv_seeds`) are the one-seed trainers' runs: the same gradients (to rounding), and
the same Adam steps, plateau schedule, stopping and loss levels per seed."""

import numpy as np
import pytest

from theory import conv_nets as CN
from theory import conv_nonlinear as cn
from theory.conv_seeds import stacked_gradients, train_seeds
from theory.descent import Plateau
from theory.errors import InputError
from theory.finishing import DECADES

EPS = np.finfo(float).eps


@pytest.mark.parametrize("slope, skip", [(None, 0), (None, 2), (0.01, 0), (0.3, 0)])
def test_stacked_gradients_are_each_seeds_own(slope, skip):
    rng = np.random.default_rng(0)
    X = rng.random((2, 9))
    nets = [CN.linear_conv_net(3, 4, scale=1.0, skip_every=skip, rng=s) for s in range(3)]
    Ws = np.stack([np.stack([W.reshape(-1) for W in n.weights]) for n in nets])
    losses, grads = stacked_gradients(Ws, nets[0].bases[0], X.T, slope=slope, skip=skip)
    for s, net in enumerate(nets):
        if slope is None:
            value, gs = CN.conv_gradients(net, X.T)
        else:
            value, gs = cn.gradients(cn.ConvAutoencoder(net, slope), X)
        assert losses[s] == pytest.approx(value, rel=64 * EPS)
        np.testing.assert_allclose(grads[s], np.stack([g.reshape(-1) for g in gs]), rtol=1e-12, atol=64 * EPS * np.abs(grads[s]).max())


@pytest.mark.parametrize("slope", [None, 0.01])
def test_seeds_train_as_they_do_one_by_one(slope):
    """Each seed stops at the step the one-seed trainer stops, with its loss, levels and finish."""
    rng = np.random.default_rng(1)
    X = rng.random((1, 9))
    nets = [CN.linear_conv_net(3, 5, scheme="xavier", rng=s) for s in range(3)]
    kw = dict(lr=1e-3, max_steps=400, loss_tol=1e-6, schedule=Plateau(patience=20), finish_iter=50, levels=DECADES)
    together = train_seeds(nets, X, slope=slope, **kw)
    for net, res in zip(nets, together):
        one = (CN.train(net, X, **kw) if slope is None else
               cn.train(cn.ConvAutoencoder(net, slope), X, **kw))
        assert res.steps == one.steps and res.converged == one.converged
        assert res.loss == pytest.approx(one.loss, rel=1e-6, abs=1e-12)
        assert sorted(res.levels) == sorted(one.levels)
        assert (res.finish is None) == (one.finish is None)
        assert type(res.params[0]) is type(one.params[0])


def test_train_seeds_refuses_what_it_cannot_stack():
    X = np.random.default_rng(2).random((1, 9))
    with pytest.raises(InputError, match="uniform"):
        train_seeds([CN.linear_conv_net(3, 2, filters=2, rng=0)], X, max_steps=1)
    with pytest.raises(InputError, match="one layout"):
        train_seeds([CN.linear_conv_net(3, 2, rng=0), CN.linear_conv_net(3, 3, rng=0)], X, max_steps=1)
    with pytest.raises(InputError, match="at least one"):
        train_seeds([], X, max_steps=1)
