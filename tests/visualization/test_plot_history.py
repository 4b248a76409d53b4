"""utils.plot_history: a fit History to a PNG, read back (size, panels, curves drawn, not blank)."""
import numpy as np
import pytest

import kerasette as K
from kerasette import layers

pytest.importorskip("matplotlib")      # the plot extra; CI installs it
image = pytest.importorskip("matplotlib.image")


def history():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = K.Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=10, validation_split=0.25, verbose=0)


def test_png_of_losses_and_metrics(tmp_path):
    path = tmp_path / "history.png"
    names = K.utils.plot_history(history(), path, dpi=50)
    assert names == ["loss", "accuracy"]
    pixels = image.imread(path)
    assert pixels.shape[:2] == (175, 450)     # figsize (4.5 * 2 panels, 3.5) inches at 50 dpi
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05                   # not blank
    # matplotlib's default colours: train in C0 (blue), validation in C1 (orange), both drawn
    blue = (np.abs(rgb - np.array([0.122, 0.467, 0.706])).sum(-1) < 0.15).sum()
    orange = (np.abs(rgb - np.array([1.0, 0.498, 0.055])).sum(-1) < 0.15).sum()
    assert blue > 50 and orange > 50
    # the left half holds the loss panel, the right half the accuracy panel: both have curves
    assert (np.abs(rgb[:, :225] - [0.122, 0.467, 0.706]).sum(-1) < 0.15).sum() > 20
    assert (np.abs(rgb[:, 225:] - [0.122, 0.467, 0.706]).sum(-1) < 0.15).sum() > 20


def test_dict_metrics_choice_and_errors(tmp_path):
    values = {"loss": [1.0, 0.5, 0.25], "mae": [0.9, 0.6, 0.3]}
    path = tmp_path / "one.png"
    assert K.utils.plot_history(values, path, metrics="mae", dpi=40) == ["mae"]
    assert image.imread(path).shape[:2] == (140, 180)     # one panel
    with pytest.raises(ValueError, match=r"metrics \['auc'\] are not in the history"):
        K.utils.plot_history(values, path, metrics=["auc"])
    with pytest.raises(ValueError, match="one value per epoch"):
        K.utils.plot_history({"loss": [1.0], "val_loss": [1.0, 2.0]}, path)
    with pytest.raises(ValueError, match="empty"):
        K.utils.plot_history({}, path)
    with pytest.raises(TypeError, match="History"):
        K.utils.plot_history([1, 2], path)


def test_without_matplotlib_the_message_names_the_extra(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"kerasette\[plot\]"):
        K.utils.plot_history({"loss": [1.0, 0.5]}, tmp_path / "x.png")
