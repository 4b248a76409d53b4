"""The performance-anchor workloads (W1-W5, W3-GRU) for kerasette and PyTorch, one definition each.

The canonical definitions are ../shared/reference/workloads.md (copied into the
table below): the same data (``numpy.random.default_rng(0)``, K pre-generated
batches cycled), the same layer sequence, the same optimizer, and the same
timing rule for every framework.  ``benchmarks/run.py`` runs each
(workload, framework) pair in a fresh process through :func:`measure`;
``benchmarks/profile_step.py`` reuses the kerasette builders.

Nothing here imports kerasette or torch at module level: the runner imports
this module in processes that must stay free of both.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

#: pre-generated training batches cycled step by step (large enough that random
#: labels are not memorised: K=4 drove the MLP loss to denormals)
TRAIN_BATCHES = 32
#: inference batches
INFER_BATCHES = 2


@dataclass(frozen=True)
class Workload:
    name: str            # e.g. "w1_train"
    label: str           # e.g. "W1 seed CNN, train"
    model: str           # "w1" | "w2" | "w3" | "w3gru" | "w4" | "w5"
    train: bool
    batch: int
    forward_macs: int    # conv/dense MACs per sample (workloads.md)

    @property
    def flop_per_sample(self) -> float:
        """FLOPs per sample: 2 x MACs forward; training counts 3 x forward."""
        return 2.0 * self.forward_macs * (3 if self.train else 1)


W1_MACS = 24 * 24 * 10 * 25 * 1 + 8 * 8 * 20 * 25 * 10 + 320 * 50 + 50 * 10          # 480,500
W2_MACS = 784 * 512 + 512 * 512 + 512 * 10                                          # 668,672
W3_MACS = 4 * 64 * (64 + 64) * 50 + 64 * 2                                          # 1,638,528
#: workloads.md counts the GRU's recurrence only (no head): 7.373 MFLOP/sample training
W3GRU_MACS = 3 * 64 * (64 + 64) * 50                                                # 1,228,800
#: per token per block: Q/K/V 3*128*128, scores 128*128, weighted sum 128*128, output 128*128,
#: feed-forward 2*128*512; x 128 tokens x 2 blocks, + the Dense(2) head
W5_MACS = (3 * 128 * 128 + 128 * 128 + 128 * 128 + 128 * 128 + 2 * 128 * 512) * 128 * 2 + 128 * 2  # 58,720,512
W4_MACS = (32 * 32 * 32 * 27 + 32 * 32 * 32 * 288 + 16 * 16 * 64 * 288 + 16 * 16 * 64 * 576
           + 4096 * 128 + 128 * 10)                                                 # 25,003,264

WORKLOADS = {w.name: w for w in [
    Workload("w1_train", "W1 seed CNN train (b128, SGD)", "w1", True, 128, W1_MACS),
    Workload("w2_train", "W2 MLP train (b128, Adam)", "w2", True, 128, W2_MACS),
    Workload("w3_train", "W3 LSTM train (b64, Adam)", "w3", True, 64, W3_MACS),
    Workload("w3gru_train", "W3-GRU train (b64, Adam)", "w3gru", True, 64, W3GRU_MACS),
    Workload("w4_train", "W4 wide CNN train (b64, Adam)", "w4", True, 64, W4_MACS),
    Workload("w5_train", "W5 Transformer encoder train (b32, Adam)", "w5", True, 32, W5_MACS),
    Workload("w1_infer", "W1 inference (b1024)", "w1", False, 1024, W1_MACS),
    Workload("w2_infer", "W2 inference (b1024)", "w2", False, 1024, W2_MACS),
]}

INPUT_SHAPES = {"w1": (28, 28, 1), "w2": (784,), "w3": (50,), "w3gru": (50,), "w4": (32, 32, 3), "w5": (128,)}
CLASSES = {"w1": 10, "w2": 10, "w3": 2, "w3gru": 2, "w4": 10, "w5": 2}
#: the workloads whose inputs are token ids
TOKENS = ("w3", "w3gru", "w5")
#: W5's sizes (workloads.md)
W5_VOCABULARY, W5_LENGTH, W5_DIM, W5_HEADS, W5_FF, W5_BLOCKS = 1000, 128, 128, 4, 512, 2


def make_data(workload: Workload):
    """``(xs, ys)``: lists of per-batch arrays, channels-last, identical for every framework."""
    rng = np.random.default_rng(0)
    count = TRAIN_BATCHES if workload.train else INFER_BATCHES
    shape = INPUT_SHAPES[workload.model]
    xs, ys = [], []
    for _ in range(count):
        if workload.model in TOKENS:
            xs.append(rng.integers(0, 1000, (workload.batch,) + shape).astype(np.int64))
        else:
            xs.append(rng.standard_normal((workload.batch,) + shape, dtype=np.float32))
        ys.append(rng.integers(0, CLASSES[workload.model], workload.batch).astype(np.int64))
    return xs, ys


# ------------------------------------------------------------------ kerasette

def kerasette_model(model: str, train: bool = True):
    """The workload's model built with kerasette.layers + Model, compiled for training."""
    from kerasette import Model, layers, optimizers

    inputs = layers.Input(INPUT_SHAPES[model], dtype="int64" if model in TOKENS else "float32")
    if model == "w1":
        h = layers.Conv2D(10, 5, activation="relu")(inputs)
        h = layers.MaxPooling2D(2)(h)
        h = layers.Conv2D(20, 5, activation="relu")(h)
        h = layers.MaxPooling2D(2)(h)
        h = layers.Flatten()(h)
        h = layers.Dense(50, activation="relu")(h)
        optimizer = optimizers.SGD(learning_rate=0.01)
    elif model == "w2":
        h = layers.Dense(512, activation="relu")(inputs)
        h = layers.Dense(512, activation="relu")(h)
        optimizer = optimizers.Adam(learning_rate=1e-3)
    elif model == "w3":
        h = layers.Embedding(1000, 64)(inputs)
        h = layers.LSTM(64)(h)
        optimizer = optimizers.Adam(learning_rate=1e-3)
    elif model == "w3gru":
        h = layers.Embedding(1000, 64)(inputs)
        h = layers.GRU(64)(h)                      # reset_after=True, Keras 3's default
        optimizer = optimizers.Adam(learning_rate=1e-3)
    elif model == "w5":
        h = token_and_position_embedding()(inputs)
        for _ in range(W5_BLOCKS):                 # post-norm encoder blocks, dropout 0
            attended = layers.MultiHeadAttention(num_heads=W5_HEADS, key_dim=W5_DIM // W5_HEADS)(h, h)
            h = layers.LayerNormalization()(layers.Add()([h, attended]))
            hidden = layers.Dense(W5_DIM)(layers.Dense(W5_FF, activation="relu")(h))
            h = layers.LayerNormalization()(layers.Add()([h, hidden]))
        h = layers.GlobalAveragePooling1D()(h)
        optimizer = optimizers.Adam(learning_rate=1e-3)
    elif model == "w4":
        h = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
        h = layers.Conv2D(32, 3, padding="same", activation="relu")(h)
        h = layers.MaxPooling2D(2)(h)
        h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
        h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
        h = layers.MaxPooling2D(2)(h)
        h = layers.Flatten()(h)
        h = layers.Dense(128, activation="relu")(h)
        optimizer = optimizers.Adam(learning_rate=1e-3)
    else:
        raise ValueError(model)
    outputs = layers.Dense(CLASSES[model], activation="softmax")(h)
    net = Model(inputs, outputs)
    net.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return net


def token_and_position_embedding():
    """W5's input layer in Keras 3 code: token Embedding(1000, 128) + position Embedding(128, 128)."""
    from kerasette import layers, ops

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(W5_VOCABULARY, W5_DIM)
            self.pos_emb = layers.Embedding(W5_LENGTH, W5_DIM)

        def call(self, x):
            positions = ops.arange(0, ops.shape(x)[-1], 1)
            return self.token_emb(x) + self.pos_emb(positions)

    return TokenAndPositionEmbedding()


def kerasette_available(model: str) -> str | None:
    """None when kerasette can build ``model``, else why not."""
    if model == "w3":
        import kerasette.layers as layers
        if not hasattr(layers, "LSTM"):
            return "not available (kerasette.layers has no LSTM yet)"
    if model == "w3gru":
        import kerasette.layers as layers
        if not hasattr(layers, "GRU"):
            return "not available (kerasette.layers has no GRU yet)"
    if model == "w5":
        import kerasette.layers as layers
        if not hasattr(layers, "MultiHeadAttention"):
            return "not available (kerasette.layers has no MultiHeadAttention yet)"
    return None


def kerasette_step(workload: Workload, xs, ys):
    net = kerasette_model(workload.model)
    if workload.train:
        def step(i):
            return net.train_on_batch(xs[i], ys[i])       # synchronous: returns a float
    else:
        def step(i):
            return net.predict_on_batch(xs[i])            # a numpy array
    return step


# -------------------------------------------------------------------- PyTorch

def torch_model(model: str):
    """The same layer sequence in NCHW, returning logits (softmax lives in F.cross_entropy)."""
    import torch
    from torch import nn

    if model == "w1":
        return nn.Sequential(
            nn.Conv2d(1, 10, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(10, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(320, 50), nn.ReLU(), nn.Linear(50, 10))
    if model == "w2":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))
    if model == "w3":
        class LSTMNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(1000, 64)
                self.lstm = nn.LSTM(64, 64, batch_first=True)
                self.dense = nn.Linear(64, 2)

            def forward(self, tokens):
                _, (h, _) = self.lstm(self.embedding(tokens))
                return self.dense(h[-1])
        return LSTMNet()
    if model == "w3gru":
        class GRUNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(1000, 64)
                self.gru = nn.GRU(64, 64, batch_first=True)
                self.dense = nn.Linear(64, 2)

            def forward(self, tokens):
                _, h = self.gru(self.embedding(tokens))
                return self.dense(h[-1])
        return GRUNet()
    if model == "w5":
        class EncoderNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.tokens = nn.Embedding(W5_VOCABULARY, W5_DIM)
                self.positions = nn.Embedding(W5_LENGTH, W5_DIM)
                self.blocks = nn.ModuleList([
                    nn.TransformerEncoderLayer(d_model=W5_DIM, nhead=W5_HEADS, dim_feedforward=W5_FF, dropout=0.0,
                                               batch_first=True, norm_first=False)
                    for _ in range(W5_BLOCKS)])
                self.dense = nn.Linear(W5_DIM, 2)
                self.register_buffer("index", torch.arange(W5_LENGTH), persistent=False)

            def forward(self, tokens):
                h = self.tokens(tokens) + self.positions(self.index[:tokens.shape[1]])
                for block in self.blocks:
                    h = block(h)
                return self.dense(h.mean(dim=1))
        return EncoderNet()
    if model == "w4":
        return nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(4096, 128), nn.ReLU(), nn.Linear(128, 10))
    raise ValueError(model)


def torch_step(workload: Workload, xs, ys):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    net = torch_model(workload.model)
    # the framework's natural layout, converted once outside the timed loop
    if len(INPUT_SHAPES[workload.model]) == 3:
        txs = [torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))) for x in xs]
    else:
        txs = [torch.from_numpy(x) for x in xs]
    tys = [torch.from_numpy(y) for y in ys]
    if workload.train:
        net.train()
        if workload.model == "w1":
            optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        else:
            optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

        def step(i):
            optimizer.zero_grad()
            loss = F.cross_entropy(net(txs[i]), tys[i])
            loss.backward()
            optimizer.step()
            return loss.item()
    else:
        net.eval()

        def step(i):
            with torch.no_grad():
                return net(txs[i]).numpy()
    return step


# -------------------------------------------------------------------- timing

def measure(step, workload: Workload, count: int, warmup: int | None = None,
            min_steps: int | None = None, min_seconds: float = 2.0) -> dict:
    """Warm up, then time at least ``min_steps`` steps and ``min_seconds`` seconds.

    Defaults follow workloads.md: training >= 5 warm-up and >= 30 timed steps,
    inference >= 3 warm-up and >= 10 timed calls.
    """
    if warmup is None:
        warmup = 5 if workload.train else 3
    if min_steps is None:
        min_steps = 30 if workload.train else 10
    index = 0
    for _ in range(warmup):
        step(index % count)
        index += 1
    per_step = []
    steps = 0
    start = time.perf_counter()
    last = start
    while steps < min_steps or last - start < min_seconds:
        result = step(index % count)
        index += 1
        steps += 1
        now = time.perf_counter()
        per_step.append(now - last)
        last = now
    elapsed = last - start
    per_step.sort()
    out = {
        "steps": steps,
        "elapsed_s": elapsed,
        "samples_per_s": steps * workload.batch / elapsed,
        "step_ms_median": 1e3 * per_step[len(per_step) // 2],
        "step_ms_min": 1e3 * per_step[0],
    }
    if workload.train:
        out["last_loss"] = float(result)
    return out
