"""Define-by-run Tensors: values at once, a tape, backward, PyTorch-like .grad."""
import numpy as np
import pytest

from kerasette import Tensor, no_grad


def test_tutorial_example():
    x = Tensor([3.0], requires_grad=True)
    y = Tensor([2.0])
    z = x * y
    assert repr(z) == "tensor([6.], grad_fn=<MulBackward>)"
    z.backward()
    assert repr(x.grad) == "tensor([2.])"
    assert y.grad is None


def test_repr_of_leaves_and_dtypes():
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor([1.0], dtype="float64")) == "tensor([1.], dtype=float64)"
    assert repr(Tensor([1, 2])) == "tensor([1, 2])"
    assert Tensor([1.0]).dtype == np.float32
    assert Tensor(np.zeros(2)).dtype == np.float64   # arrays keep their dtype


def test_gradients_accumulate_until_zeroed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(grad=[1.0, 1.0])
    (x * x).backward(grad=[1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    x.zero_grad()
    assert x.grad is None


def test_operators_and_reflected_scalars():
    x = Tensor([2.0], requires_grad=True)
    y = 1.0 - 3.0 / x + x ** 2 * 2 - (-x)
    np.testing.assert_allclose(y.numpy(), [1 - 1.5 + 8 + 2])
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 / 4.0 + 8.0 + 1.0], rtol=1e-6)
    assert y.dtype == np.float32


def test_numpy_array_on_the_left_defers_to_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, Tensor)
    y.backward(np.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_broadcast_gradient_is_summed_back():
    bias = Tensor([0.5, -0.5], requires_grad=True)
    x = Tensor(np.ones((3, 2)))
    (x + bias).backward(np.ones((3, 2)))
    np.testing.assert_allclose(bias.grad.numpy(), [3.0, 3.0])


def test_no_grad_records_nothing():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2.0
    assert y.creator is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_detach_cuts_the_tape():
    x = Tensor([3.0], requires_grad=True)
    y = (x * x).detach() * x
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [9.0])


def test_non_scalar_backward_needs_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2.0).backward()


def test_retain_grad_keeps_intermediate_gradient():
    x = Tensor([2.0], requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    (h * h).backward()
    np.testing.assert_allclose(h.grad.numpy(), [12.0])
    np.testing.assert_allclose(x.grad.numpy(), [36.0])


def test_higher_order_with_create_graph():
    x = Tensor([2.0], requires_grad=True, dtype="float64")
    y = x * x * x
    y.backward(create_graph=True)
    first = x.grad
    np.testing.assert_allclose(first.numpy(), [12.0])
    x.zero_grad()
    first.backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0])   # d(3x^2)/dx = 6x


def test_diamond_graph_visits_each_node_once():
    x = Tensor([1.0], requires_grad=True)
    a = x * 2.0
    b = a * a + a      # uses a twice on two paths
    b.backward()
    # db/dx = (2a + 1) * 2 = (4 + 1) * 2
    np.testing.assert_allclose(x.grad.numpy(), [10.0])


def test_int_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="float"):
        Tensor([1, 2], requires_grad=True)


def _count_forward_calls(monkeypatch, name):
    from kerasette.primitives import get
    primitive = get(name)
    calls = []
    original = primitive.forward

    def counted(xp, *arrays, **attrs):
        calls.append(tuple(a.shape for a in arrays))
        return original(xp, *arrays, **attrs)

    monkeypatch.setattr(primitive, "forward", counted)
    return calls


def test_backward_skips_gradients_of_inputs_that_need_none(monkeypatch):
    from kerasette import ops
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    w = rng.standard_normal((64, 5)).astype(np.float32)
    input_grads = _count_forward_calls(monkeypatch, "conv_backprop_input")
    matmuls = _count_forward_calls(monkeypatch, "matmul")

    def loss(x_needs_grad):
        xt, kt, wt = Tensor(x, requires_grad=x_needs_grad), Tensor(k, requires_grad=True), \
            Tensor(w, requires_grad=True)
        h = ops.reshape(ops.conv(xt, kt, padding="valid"), (2, 64))
        ops.sum(ops.matmul(h, wt) ** 2).backward()
        return xt, kt, wt

    _, k_all, w_all = loss(True)
    assert len(input_grads) == 1 and len(matmuls) == 1 + 2
    del input_grads[:], matmuls[:]
    x_alone, k_alone, w_alone = loss(False)
    # the data's gradient is never computed; matmul's input gradient still is (h needs it)
    assert input_grads == [] and len(matmuls) == 1 + 2
    assert x_alone.grad is None
    np.testing.assert_array_equal(k_alone.grad.numpy(), k_all.grad.numpy())
    np.testing.assert_array_equal(w_alone.grad.numpy(), w_all.grad.numpy())

    # a dense layer fed by data: one backward matmul, not two
    del matmuls[:]
    wt = Tensor(w, requires_grad=True)
    ops.sum(ops.matmul(Tensor(x.reshape(2, -1)[:, :64]), wt)).backward()
    assert len(matmuls) == 1 + 1
    np.testing.assert_allclose(wt.grad.numpy(), np.broadcast_to(x.reshape(2, -1)[:, :64].sum(0)[:, None],
                                                                (64, 5)), rtol=1e-5)
