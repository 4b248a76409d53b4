"""kerasette.torch, the PyTorch-compatibility face: modules, functional, SGD.

Without torch: structure (parameters, names, state_dict, train/eval, repr),
initialisation bounds, shapes, errors, and gradients reaching the parameters.
With torch (skipped otherwise): Conv2d, pooling, Linear, the losses, the
tutorial's whole Net and SGD with momentum give PyTorch's numbers with
weights copied across.
"""
import numpy as np
import pytest

import kerasette.torch as torch
import kerasette.torch.nn as nn
import kerasette.torch.nn.functional as F
from kerasette import Tensor, backend


class Net(nn.Module):
    """The tutorial's network, as written for PyTorch."""

    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    torch.manual_seed(0)


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------ structure

def test_net_parameters_in_pytorch_order_with_pytorch_shapes():
    net = Net()
    assert [(name, p.shape) for name, p in net.named_parameters()] == [
        ("conv1.weight", (10, 1, 5, 5)), ("conv1.bias", (10,)),
        ("conv2.weight", (20, 10, 5, 5)), ("conv2.bias", (20,)),
        ("fc1.weight", (50, 320)), ("fc1.bias", (50,)),
        ("fc2.weight", (10, 50)), ("fc2.bias", (10,)),
    ]
    assert sum(p.size for p in net.parameters()) == 21840
    # the same parameters are the kerasette Layer's weights
    assert [id(w) for w in net.trainable_weights] == [id(p) for p in net.parameters()]
    assert [name for name, _ in net.named_children()] == ["conv1", "conv2", "fc1", "fc2"]
    assert len(list(net.modules())) == 5


def test_forward_shapes_and_log_probabilities():
    net = Net()
    out = net(torch.randn(64, 1, 28, 28))
    assert isinstance(out, Tensor)
    assert out.shape == (64, 10)
    np.testing.assert_allclose(np.exp(out.numpy()).sum(axis=1), 1.0, rtol=1e-5)
    # arrays in, arrays out, as for any kerasette layer
    array_out = net(random(2, 1, 28, 28))
    assert isinstance(array_out, np.ndarray) and array_out.shape == (2, 10)


def test_backward_reaches_every_parameter_and_zero_grad_clears():
    net = Net()
    loss = F.nll_loss(net(torch.randn(8, 1, 28, 28)), torch.tensor([0, 1, 2, 3, 4, 5, 6, 7]))
    loss.backward()
    for name, parameter in net.named_parameters():
        assert parameter.grad is not None and parameter.grad.shape == parameter.shape, name
        assert np.abs(parameter.grad.numpy()).sum() > 0, name
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_default_initialisation_is_uniform_within_one_over_sqrt_fan_in():
    conv = nn.Conv2d(10, 20, kernel_size=5)
    linear = nn.Linear(320, 50)
    for weight, bias, fan_in in ((conv.weight, conv.bias, 250), (linear.weight, linear.bias, 320)):
        bound = 1 / np.sqrt(fan_in)
        values = weight.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound      # spread over the whole interval
        assert abs(values.mean()) < 0.1 * bound
        assert np.abs(bias.numpy()).max() <= bound


def test_manual_seed_repeats_weights_and_draws():
    torch.manual_seed(3)
    first = (nn.Linear(4, 2).weight.numpy().copy(), torch.randn(3).numpy().copy())
    torch.manual_seed(3)
    second = (nn.Linear(4, 2).weight.numpy().copy(), torch.randn(3).numpy().copy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_parameter_attribute_is_registered_and_trained():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.factor = nn.Parameter(torch.ones(3))
            self.inner = nn.Linear(3, 3, bias=False)

        def forward(self, x):
            return self.inner(x * self.factor)

    module = Scale()
    assert [name for name, _ in module.named_parameters()] == ["factor", "inner.weight"]
    assert module.factor.path.endswith("/factor")
    loss = module(torch.ones(2, 3)).sum()
    loss.backward()
    assert module.factor.grad.shape == (3,)
    assert module.inner.bias is None


def test_state_dict_round_trip_and_strict_keys():
    net, other = Net(), Net()
    state = net.state_dict()
    assert list(state) == [name for name, _ in net.named_parameters()]
    other.load_state_dict(state)
    x = random(4, 1, 28, 28)
    np.testing.assert_array_equal(net(x), other(x))
    with pytest.raises(RuntimeError, match="missing keys \\['fc2.bias'\\]"):
        other.load_state_dict({k: v for k, v in state.items() if k != "fc2.bias"})


def test_train_eval_switches_dropout():
    model = nn.Sequential(nn.Linear(20, 20), nn.Dropout(0.5))
    x = torch.ones(4, 20)
    assert model.training and model[1].training
    model.eval()
    assert not model[1].training
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
    model.train()
    out = model(x).numpy()
    assert (out == 0).mean() > 0.2     # about half dropped


def test_repr_matches_pytorch_text():
    assert repr(Net()).splitlines() == [
        "Net(",
        "  (conv1): Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))",
        "  (conv2): Conv2d(10, 20, kernel_size=(5, 5), stride=(1, 1))",
        "  (fc1): Linear(in_features=320, out_features=50, bias=True)",
        "  (fc2): Linear(in_features=50, out_features=10, bias=True)",
        ")",
    ]
    assert repr(nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)) == (
        "Conv2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "groups=2, bias=False)")
    assert repr(nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Dropout(0.2))).splitlines() == [
        "Sequential(", "  (0): ReLU()", "  (1): Flatten(start_dim=1, end_dim=-1)",
        "  (2): Dropout(p=0.2, inplace=False)", ")"]


def test_shapes_of_padding_stride_and_pooling():
    x = torch.randn(2, 4, 9, 9)
    assert nn.Conv2d(4, 6, 3, stride=2, padding=1)(x).shape == (2, 6, 5, 5)
    assert nn.Conv2d(4, 6, 3, padding="same")(x).shape == (2, 6, 9, 9)
    assert F.max_pool2d(x, 2).shape == (2, 4, 4, 4)
    assert F.max_pool2d(x, 3, stride=2, padding=1).shape == (2, 4, 5, 5)
    assert F.avg_pool2d(x, (3, 2)).shape == (2, 4, 3, 4)
    assert nn.Flatten()(x).shape == (2, 324)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="expected input\\(2, 3, 8, 8\\) to have 1 channels, but got 3"):
        nn.Conv2d(1, 4, 3)(torch.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match="4-D input"):
        F.max_pool2d(torch.randn(3, 8, 8), 2)
    with pytest.raises(TypeError, match="needs dim="):
        F.log_softmax(torch.randn(2, 3))
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(torch.randn(2))
    with pytest.raises(NotImplementedError, match="ceil_mode"):
        F.max_pool2d(torch.randn(1, 1, 4, 4), 2, ceil_mode=True)


def test_sgd_plain_step_is_parameter_minus_lr_grad():
    layer = nn.Linear(3, 2)
    before = layer.weight.numpy().copy()
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.5)
    loss = layer(torch.ones(4, 3)).sum()
    loss.backward()
    grad = layer.weight.grad.numpy().copy()
    np.testing.assert_allclose(grad, np.full((2, 3), 4.0))
    optimizer.step()
    np.testing.assert_allclose(layer.weight.numpy(), before - 0.5 * grad, rtol=1e-6)
    optimizer.zero_grad()
    assert layer.weight.grad is None


# ------------------------------------------------------------------ against PyTorch

@pytest.fixture
def real_torch():
    return pytest.importorskip("torch")


def as_torch(real_torch, array):
    return real_torch.from_numpy(np.ascontiguousarray(array))


def torch_state(real_torch, module):
    return {name: as_torch(real_torch, value) for name, value in module.state_dict().items()}


@pytest.mark.parametrize("config", [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=3, out_channels=6, kernel_size=(3, 2), stride=2, padding=1),
    dict(in_channels=4, out_channels=6, kernel_size=3, padding=(2, 1), dilation=2, groups=2),
    dict(in_channels=2, out_channels=5, kernel_size=3, padding="same", bias=False),
])
def test_conv2d_matches_pytorch(real_torch, config):
    ours = nn.Conv2d(**config)
    theirs = real_torch.nn.Conv2d(**config)
    theirs.load_state_dict(torch_state(real_torch, ours))
    x = random(2, config["in_channels"], 11, 10)
    expected = theirs(as_torch(real_torch, x)).detach().numpy()
    np.testing.assert_allclose(ours(x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel_size, stride, padding", [(2, None, 0), (3, 2, 1), ((3, 2), (1, 2), 0)])
def test_pooling_matches_pytorch(real_torch, kernel_size, stride, padding):
    x = random(2, 3, 9, 8)
    for ours, theirs in ((F.max_pool2d, real_torch.nn.functional.max_pool2d),
                         (F.avg_pool2d, real_torch.nn.functional.avg_pool2d)):
        expected = theirs(as_torch(real_torch, x), kernel_size, stride, padding).numpy()
        np.testing.assert_allclose(ours(x, kernel_size, stride, padding), expected, rtol=1e-5, atol=1e-6)


def test_linear_and_losses_match_pytorch(real_torch):
    ours = nn.Linear(7, 5)
    theirs = real_torch.nn.Linear(7, 5)
    theirs.load_state_dict(torch_state(real_torch, ours))
    x = random(6, 7)
    logits = theirs(as_torch(real_torch, x))
    np.testing.assert_allclose(ours(x), logits.detach().numpy(), rtol=1e-5, atol=1e-6)
    labels = np.array([0, 4, 2, 2, 1, 3])
    tf_ = real_torch.nn.functional
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(
            F.cross_entropy(ours(x), labels, reduction=reduction),
            tf_.cross_entropy(logits, as_torch(real_torch, labels), reduction=reduction).detach().numpy(),
            rtol=1e-5)
        log_probabilities = F.log_softmax(ours(x), dim=1)
        np.testing.assert_allclose(
            F.nll_loss(log_probabilities, labels, reduction=reduction),
            tf_.nll_loss(tf_.log_softmax(logits, dim=1), as_torch(real_torch, labels),
                         reduction=reduction).detach().numpy(),
            rtol=1e-5)


def test_tutorial_net_forward_and_gradients_match_pytorch(real_torch):
    class TorchNet(real_torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = real_torch.nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = real_torch.nn.Conv2d(10, 20, kernel_size=5)
            self.fc1 = real_torch.nn.Linear(320, 50)
            self.fc2 = real_torch.nn.Linear(50, 10)

        def forward(self, x):
            tF = real_torch.nn.functional
            x = tF.relu(tF.max_pool2d(self.conv1(x), 2))
            x = tF.relu(tF.max_pool2d(self.conv2(x), 2))
            x = x.view(-1, 320)
            x = tF.relu(self.fc1(x))
            return tF.log_softmax(self.fc2(x), dim=1)

    theirs = TorchNet()
    ours = Net()
    ours.load_state_dict(theirs.state_dict())          # torch tensors load as they are
    x = random(16, 1, 28, 28)
    labels = np.arange(16) % 10
    their_out = theirs(as_torch(real_torch, x))
    our_out = ours(Tensor(x))
    np.testing.assert_allclose(our_out.numpy(), their_out.detach().numpy(), rtol=1e-4, atol=1e-5)

    real_torch.nn.functional.nll_loss(their_out, as_torch(real_torch, labels)).backward()
    F.nll_loss(our_out, labels).backward()
    their_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), their_grads[name], rtol=1e-3, atol=1e-6,
                                   err_msg=name)


def test_sgd_with_momentum_and_weight_decay_matches_pytorch(real_torch):
    ours = nn.Linear(4, 3)
    theirs = real_torch.nn.Linear(4, 3)
    theirs.load_state_dict(torch_state(real_torch, ours))
    settings = dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
    our_optimizer = torch.optim.SGD(ours.parameters(), **settings)
    their_optimizer = real_torch.optim.SGD(theirs.parameters(), **settings)
    x, labels = random(8, 4), np.arange(8) % 3
    for _ in range(4):
        our_optimizer.zero_grad()
        F.cross_entropy(ours(Tensor(x)), labels).backward()
        our_optimizer.step()
        their_optimizer.zero_grad()
        real_torch.nn.functional.cross_entropy(theirs(as_torch(real_torch, x)),
                                               as_torch(real_torch, labels)).backward()
        their_optimizer.step()
    for (name, mine), (_, other) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(mine.numpy(), other.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
