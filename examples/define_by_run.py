"""Define-by-run, the tutorial's PyTorch snippet with only the import changed.

The product is computed the moment ``x * y`` runs, and the result remembers
how it was made, so ``backward()`` can compute dz/dx afterwards.

    python examples/define_by_run.py
"""
from kerasette import Tensor

x = Tensor([3.0], requires_grad=True)
y = Tensor([2.0])

z = x * y
print(z)  # 3.0 * 2.0 = 6.0 is already computed, and z records that it came from a multiplication

z.backward()  # dz/dx, found by walking back over what z recorded
print(x.grad)
