"""Forward outputs, losses, every parameter gradient and optimiser steps against PyTorch (float64).

Weights go across unchanged: ``Dense.weights`` has ``nn.Linear.weight``'s layout
(n_neurons, n_inputs), so ``torch.tensor(layer.weights)`` is ``linear.weight``.
"""

import itertools

import numpy as np
import pytest

import neuronal as nl
from neuronal import activations as A

torch = pytest.importorskip("torch")
nn = torch.nn

TOL = 1e-5

# every differentiable activation as a hidden layer, with its torch twin
HIDDEN = {
    "sigmoid": (A.Sigmoid(), nn.Sigmoid),
    "tanh": (A.Tanh(), nn.Tanh),
    "relu": (A.ReLU(), nn.ReLU),
    "leaky_relu": (A.LeakyReLU(), lambda: nn.LeakyReLU(negative_slope=0.01)),
    "leaky_relu_0.2": (A.LeakyReLU(alpha=0.2), lambda: nn.LeakyReLU(negative_slope=0.2)),
    "linear": (A.Linear(), nn.Identity),
    "softmax": (A.Softmax(), lambda: nn.Softmax(dim=-1)),
    "elu": (A.ELU(), lambda: nn.ELU(alpha=1.0)),
    "elu_0.7": (A.ELU(alpha=0.7), lambda: nn.ELU(alpha=0.7)),
    "softplus": (A.Softplus(), nn.Softplus),
    "gelu": (A.GELU(), lambda: nn.GELU(approximate="tanh")),
}

# (our loss, our output activation, torch output module or None, torch loss, target kind)
OUTPUTS = {
    "ce+softmax": ("cross_entropy", "softmax", None, nn.CrossEntropyLoss, "labels"),
    "bce+sigmoid(logits)": ("binary_cross_entropy", "sigmoid", None, nn.BCEWithLogitsLoss,
                            "binary"),
    "bce+sigmoid(probs)": ("binary_cross_entropy", "sigmoid", nn.Sigmoid, nn.BCELoss, "binary"),
    "mse+linear": ("mse", "linear", nn.Identity, nn.MSELoss, "real"),
    "mse+tanh": ("mse", "tanh", nn.Tanh, nn.MSELoss, "real"),
    "mse+sigmoid": ("mse", "sigmoid", nn.Sigmoid, nn.MSELoss, "real"),
    "mae+linear": ("mae", "linear", nn.Identity, nn.L1Loss, "real"),
    "mae+elu": ("mae", "elu", nn.ELU, nn.L1Loss, "real"),
}

CASES = [
    pytest.param(h, o, 2 + i % 3, i, id=f"{h}-{o}-{2 + i % 3}layers")
    for i, (h, o) in enumerate(itertools.product(HIDDEN, OUTPUTS))
]


def build_pair(hidden, output, n_layers, seed):
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(2, 7, size=n_layers + 1)]
    if OUTPUTS[output][4] == "labels":
        sizes[-1] = max(sizes[-1], 3)
    our_act, torch_act = HIDDEN[hidden]
    loss_name, out_act, torch_out, _, _ = OUTPUTS[output]
    layers = [
        nl.Dense(n_in, n_out, activation=our_act if i < n_layers - 1 else out_act)
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
    ]
    net = nl.Network(layers, loss=loss_name, seed=seed, dtype="float64")
    modules = []
    for i, layer in enumerate(net.layers):
        assert layer.weights.dtype == np.float64
        linear = nn.Linear(layer.n_inputs, layer.n_neurons, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(layer.weights))  # same layout, no transpose
            linear.bias.copy_(torch.tensor(layer.bias))
        modules.append(linear)
        if i < n_layers - 1:
            modules.append(torch_act())
        elif torch_out is not None:
            modules.append(torch_out())
    return net, nn.Sequential(*modules), sizes


def make_data(kind, n, n_in, n_out, rng):
    X = rng.standard_normal((n, n_in))
    if kind == "labels":
        labels = rng.integers(0, n_out, n)
        return X, labels, torch.tensor(labels)
    if kind == "binary":
        Y = rng.integers(0, 2, (n, n_out)).astype(np.float64)
    else:
        Y = rng.standard_normal((n, n_out))
    return X, Y, torch.tensor(Y)


@pytest.mark.parametrize("hidden,output,n_layers,seed", CASES)
def test_forward_loss_and_gradients_match_torch(hidden, output, n_layers, seed):
    net, model, sizes = build_pair(hidden, output, n_layers, seed)
    kind, torch_loss = OUTPUTS[output][4], OUTPUTS[output][3]()
    rng = np.random.default_rng(100 + seed)
    X, y, y_torch = make_data(kind, 7, sizes[0], sizes[-1], rng)
    Xp, Y, _ = net._prepare(X, y)

    # ours: the same path fit's train_step takes
    out = net.forward(Xp, training=True)
    value, delta, pre = net.loss_and_delta(out, Y)
    net.backward(delta, preactivation=pre)

    # torch
    t_out = model(torch.tensor(X))
    t_loss = torch_loss(t_out, y_torch)
    t_loss.backward()
    if output == "ce+softmax":
        t_out = torch.softmax(t_out, dim=-1)
    elif output == "bce+sigmoid(logits)":
        t_out = torch.sigmoid(t_out)

    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=TOL, atol=1e-12)
    assert value == pytest.approx(t_loss.item(), rel=TOL, abs=1e-12)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert len(linears) == len(net.layers)
    for layer, linear in zip(net.layers, linears):
        g = layer.grads()
        np.testing.assert_allclose(g["weight"], linear.weight.grad.numpy(), rtol=TOL, atol=1e-10)
        np.testing.assert_allclose(g["bias"], linear.bias.grad.numpy(), rtol=TOL, atol=1e-10)


def test_predict_and_evaluate_match_torch():
    net, model, sizes = build_pair("relu", "ce+softmax", 3, seed=11)
    rng = np.random.default_rng(0)
    X, labels, t_labels = make_data("labels", 20, sizes[0], sizes[-1], rng)
    logits = model(torch.tensor(X))
    np.testing.assert_allclose(net.predict_proba(X), torch.softmax(logits, -1).detach().numpy(),
                               rtol=TOL)
    np.testing.assert_array_equal(net.predict(X), logits.argmax(-1).numpy())
    assert net.evaluate(X, labels)["loss"] == pytest.approx(
        nn.CrossEntropyLoss()(logits, t_labels).item(), rel=TOL)


# --------------------------------------------------------------------------- optimisers

OPTIMIZERS = {
    "sgd": (lambda: nl.SGD(learning_rate=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "momentum": (lambda: nl.SGD(learning_rate=0.1, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "nesterov": (lambda: nl.SGD(learning_rate=0.05, momentum=0.8, nesterov=True),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    "sgd_weight_decay": (lambda: nl.SGD(learning_rate=0.1, weight_decay=0.01),
                         lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01)),
    "momentum_weight_decay": (
        lambda: nl.SGD(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.05),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    "adam": (lambda: nl.Adam(learning_rate=0.01),
             lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam_custom": (lambda: nl.Adam(learning_rate=0.02, beta1=0.8, beta2=0.99, epsilon=1e-6,
                                    weight_decay=0.01),
                    lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6,
                                               weight_decay=0.01)),
    "rmsprop": (lambda: nl.RMSprop(learning_rate=0.01),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8)),
    "rmsprop_custom": (lambda: nl.RMSprop(learning_rate=0.005, rho=0.9, epsilon=1e-6,
                                          weight_decay=0.1),
                       lambda p: torch.optim.RMSprop(p, lr=0.005, alpha=0.9, eps=1e-6,
                                                     weight_decay=0.1)),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_steps_match_torch(name):
    make_ours, make_torch = OPTIMIZERS[name]
    rng = np.random.default_rng(3)
    ours = [rng.standard_normal((3, 4)), rng.standard_normal(3)]
    grads = [np.zeros_like(p) for p in ours]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in ours]
    opt, t_opt = make_ours(), make_torch(theirs)
    for _ in range(4):
        for g, t in zip(grads, theirs):
            g[...] = rng.standard_normal(g.shape)
            t.grad = torch.tensor(g.copy())
        opt.step(list(zip(ours, grads)))
        t_opt.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["momentum", "adam", "rmsprop"])
def test_full_batch_training_matches_torch(name):
    """A few epochs of fit (full batch, no shuffle) follow torch's training loop exactly."""
    make_ours, make_torch = OPTIMIZERS[name]
    net, model, sizes = build_pair("tanh", "ce+softmax", 3, seed=5)
    net.optimizer = make_ours()
    rng = np.random.default_rng(9)
    X, labels, t_labels = make_data("labels", 16, sizes[0], sizes[-1], rng)
    history = net.fit(X, labels, epochs=5, batch_size=16, shuffle=False, verbose=0)
    t_opt, t_loss = make_torch(model.parameters()), nn.CrossEntropyLoss()
    losses = []
    for _ in range(5):
        t_opt.zero_grad()
        loss = t_loss(model(torch.tensor(X)), t_labels)
        loss.backward()
        t_opt.step()
        losses.append(loss.item())
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-9)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for layer, linear in zip(net.layers, linears):
        np.testing.assert_allclose(layer.weights, linear.weight.detach().numpy(), rtol=1e-8,
                                   atol=1e-12)
        np.testing.assert_allclose(layer.bias, linear.bias.detach().numpy(), rtol=1e-8,
                                   atol=1e-12)
