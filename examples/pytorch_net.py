"""The tutorial's PyTorch ``Net``, verbatim, with only the imports changed.

Original imports:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

``kerasette.torch`` is a small compatibility face for code like this (see its
docstring): ``nn.Module`` is a kerasette Layer whose call is ``forward``,
``nn.Conv2d`` keeps PyTorch's NCHW layout and weight shapes over kerasette's
channels-last convolution, and ``optim.SGD`` steps the parameters after
``loss.backward()``.  Below the class: a forward pass on a random batch, then
a few SGD steps on that batch, where the loss falls as the net fits it.

    python examples/pytorch_net.py
"""
import kerasette.torch as torch
import kerasette.torch.nn as nn
import kerasette.torch.nn.functional as F


class Net(nn.Module):
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


torch.manual_seed(0)
net = Net()
print(net)

images = torch.randn(64, 1, 28, 28)          # a random batch: 64 one-channel 28x28 images
labels = torch.randint(0, 10, (64,))         # and a random class for each
output = net(images)                         # forward() runs now, define-by-run
print("output shape:", tuple(output.shape))  # (64, 10): log-probabilities of 10 classes

optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for step in range(1, 21):
    optimizer.zero_grad()
    loss = F.nll_loss(net(images), labels)
    loss.backward()                          # gradients of every parameter, in .grad
    optimizer.step()
    print(f"step {step:2d}: nll loss {loss.item():.4f}")
