"""BatchNorm: PyTorch equivalence (training and prediction), running statistics, errors."""

import numpy as np
import pytest

import neuronal as nl

TOL = 1e-5


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


@pytest.mark.parametrize("shape", [(8, 4), (2, 4), (5, 3, 7), (4, 3, 5, 6), (1, 2, 3, 3)])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batchnorm_matches_torch_in_training(shape, momentum, torch, rng):
    f = shape[1]
    layer = nl.BatchNorm(f, momentum=momentum)
    layer.build(np.random.default_rng(0), np.float64)
    layer.load_state({"weight": rng.standard_normal(f), "bias": rng.standard_normal(f),
                      "running_mean": rng.standard_normal(f),
                      "running_var": rng.uniform(0.5, 2, f)})
    cls = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d}[len(shape)]
    module = cls(f, momentum=momentum).double()
    sd = {k: torch.from_numpy(v.copy()) for k, v in layer.state().items()}
    module.load_state_dict(sd, strict=False)  # num_batches_tracked is not needed
    module.train()
    x = rng.standard_normal(shape) * 3 + 1
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL)
    g = rng.standard_normal(shape)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), atol=TOL)
    np.testing.assert_allclose(layer.grads()["weight"], module.weight.grad.numpy(), atol=TOL)
    np.testing.assert_allclose(layer.grads()["bias"], module.bias.grad.numpy(), atol=TOL)
    np.testing.assert_allclose(layer.running_mean, module.running_mean.numpy(), atol=TOL)
    np.testing.assert_allclose(layer.running_var, module.running_var.numpy(), atol=TOL)

    # prediction uses the running statistics, in both
    module.eval()
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    y = layer.forward(x, training=False)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), atol=TOL)


def test_batchnorm_state_dict_names_match_torch(torch):
    layer = nl.BatchNorm(6)
    module = torch.nn.BatchNorm2d(6)
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()
                if k != "num_batches_tracked"}
    assert {k: v.shape for k, v in layer.state().items()} == expected
    assert set(layer.params()) == {"weight", "bias"}
    assert set(layer.buffers()) == {"running_mean", "running_var"}
    assert layer.n_params == 12 and layer.n_weights == 0


def test_running_statistics_converge_and_prediction_is_per_sample(rng):
    layer = nl.BatchNorm(2, momentum=0.1, dtype="float64")
    for _ in range(200):
        layer(rng.normal([5.0, -3.0], [2.0, 0.5], size=(256, 2)), training=True)
    np.testing.assert_allclose(layer.running_mean, [5.0, -3.0], atol=0.1)
    np.testing.assert_allclose(layer.running_var, [4.0, 0.25], rtol=0.1)
    x = rng.normal(size=(5, 2))
    np.testing.assert_allclose(layer(x)[:1], layer(x[:1]))  # no dependence on the batch


def test_batchnorm_errors():
    bn = nl.BatchNorm(3)
    with pytest.raises(nl.ShapeError, match=r"BatchNorm\(3\) expects input of shape \(batch, 3\)"
                                            r".*got \(2, 4\).*axis 1"):
        bn(np.zeros((2, 4)))
    with pytest.raises(nl.ShapeError, match="batch size of at least 2"):
        bn(np.zeros((1, 3)), training=True)
    with pytest.raises(nl.NeuronalError, match="momentum"):
        nl.BatchNorm(3, momentum=2)
