"""MelSpectrogram and STFTSpectrogram against real Keras 3 (tests/fixtures/keras_audio.npz).

The fixture's cases cover every STFTSpectrogram ``mode``, ``scaling``
(density, spectrum, None), both paddings, channels first and last,
``expand_dims``, named windows and windows given as values, and
MelSpectrogram with and without ``power_to_db``, several ``mag_exp``,
windows and unbatched input; two small models come as Keras 3's own
``.weights.h5`` and ``.keras`` files.
"""
from __future__ import annotations

import json
import os
import warnings

import h5py
import numpy as np
import pytest

import kerasette
from kerasette import Tensor, layers
from kerasette.layers import MelSpectrogram, STFTSpectrogram
from kerasette.layers.serialization import layer_from_config

DATA = np.load(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "keras_audio.npz"),
               allow_pickle=False)
MEL_CASES = json.loads(str(DATA["mel_cases"]))
STFT_CASES = json.loads(str(DATA["stft_cases"]))
ARGUMENTS = {
    "MelSpectrogram": ["fft_length", "sequence_stride", "sequence_length", "window", "sampling_rate",
                       "num_mel_bins", "min_freq", "max_freq", "power_to_db", "top_db", "mag_exp",
                       "min_power", "ref_power"],
    "STFTSpectrogram": ["mode", "frame_length", "frame_step", "fft_length", "window", "periodic", "scaling",
                        "padding", "data_format", "expand_dims"],
}


def load(key):
    return json.loads(str(DATA[key]))


def case_input(case):
    return DATA[f"{case}.x"].astype("float64" if case == "mel_float64" else "float32")


def assert_keras_numbers(actual, expected):
    actual = np.asarray(actual)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=2e-6 * max(1.0, float(np.abs(expected).max())))


def from_keras_config(case, class_name):
    if f"{case}.config" not in DATA:
        kwargs = load(f"{case}.kwargs")
        return getattr(layers, class_name)(window=DATA[f"{case}.window"], **kwargs), None
    config = load(f"{case}.config")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # a non-power-of-two fft_length
        layer = layer_from_config({"class_name": class_name, "config": config})
    assert type(layer).__name__ == class_name
    return layer, config


# ------------------------------------------------------------------ MelSpectrogram

@pytest.mark.parametrize("case", MEL_CASES)
def test_mel_spectrogram_matches_keras(case):
    layer, config = from_keras_config(case, "MelSpectrogram")
    assert_keras_numbers(layer(case_input(case)), DATA[f"{case}.y"])
    x = case_input(case)
    probe = x.shape if x.ndim == 1 else (None,) + x.shape[1:]
    assert list(layer.compute_output_shape(probe)) == load(f"{case}.output_shape")


@pytest.mark.parametrize("case", MEL_CASES)
def test_mel_spectrogram_from_arguments_has_keras_config(case):
    layer = MelSpectrogram(**load(f"{case}.kwargs"))
    ours, keras_config = layer.get_config(), load(f"{case}.config")
    for key in ARGUMENTS["MelSpectrogram"]:
        assert ours[key] == keras_config[key], key
    again = MelSpectrogram.from_config(ours)
    np.testing.assert_array_equal(np.asarray(again(case_input(case))), np.asarray(layer(case_input(case))))


def test_mel_weight_matrix_matches_keras():
    layer = MelSpectrogram()
    np.testing.assert_allclose(layer.linear_to_mel_weight_matrix(), DATA["mel_matrix.default"], atol=1e-5)
    custom = layer.linear_to_mel_weight_matrix(num_mel_bins=12, num_spectrogram_bins=65, sampling_rate=16000,
                                               lower_edge_hertz=0.0, upper_edge_hertz=8000.0)
    assert custom.shape == (65, 12) and custom.dtype == np.float32
    np.testing.assert_allclose(custom, DATA["mel_matrix.custom"], atol=1e-5)
    assert np.all(custom[0] == 0) and np.isclose(custom.max(), 1.0, atol=0.05)


def test_mel_power_to_db_is_clipped_over_the_whole_batch():
    x = case_input("mel_hamming")
    db = np.asarray(MelSpectrogram(**load("mel_hamming.kwargs"))(x))
    # top_db=30: one floor for both examples, 30 dB under the batch's largest value
    assert np.isclose(db.min(), db.max() - 30.0, atol=1e-4)
    quiet = np.asarray(MelSpectrogram(**load("mel_hamming.kwargs"))(x * np.float32([[1.0], [1e-3]])))
    assert quiet[1].max() < quiet[0].max() - 50 + 30   # the quiet example sits on the shared floor
    assert np.isclose(quiet[1].min(), quiet.max() - 30.0, atol=1e-4)


def test_mel_spectrogram_in_a_model_and_keras_files(tmp_path):
    from kerasette.models import model_from_json
    from kerasette.saving import load_model
    model = model_from_json(str(DATA["model_mel.json"]))
    assert model.layers[1].__class__ is MelSpectrogram and model.layers[1].output.shape == (None, 16, 10)
    path = tmp_path / "keras.weights.h5"
    path.write_bytes(DATA["model_mel.weights_h5"].tobytes())
    model.load_weights(str(path))
    x = DATA["model_mel.x"].astype("float32")
    np.testing.assert_allclose(model.predict(x, batch_size=len(x), verbose=0), DATA["model_mel.predict"],
                               rtol=1e-4, atol=1e-4)
    keras_file = tmp_path / "keras_model.keras"
    keras_file.write_bytes(DATA["model_mel.keras_file"].tobytes())
    loaded = load_model(str(keras_file))
    np.testing.assert_allclose(loaded.predict(x, batch_size=len(x), verbose=0), DATA["model_mel.predict"],
                               rtol=1e-4, atol=1e-4)
    ours = tmp_path / "ours.keras"
    loaded.save(str(ours))
    again = load_model(str(ours))
    assert again.get_layer("mel").get_config() == loaded.get_layer("mel").get_config()
    np.testing.assert_array_equal(again.predict(x, batch_size=len(x), verbose=0),
                                  loaded.predict(x, batch_size=len(x), verbose=0))


def test_mel_spectrogram_window_as_values_and_float64_policy():
    window = np.hanning(64).astype("float32")
    layer = MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8, sampling_rate=8000, window=window)
    config = layer.get_config()
    assert config["window"] == window.tolist()
    x = case_input("mel_no_window")[:, :300]
    np.testing.assert_array_equal(np.asarray(MelSpectrogram.from_config(config)(x)), np.asarray(layer(x)))
    wide = MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8, sampling_rate=8000, dtype="float64")
    assert np.asarray(wide(x)).dtype == np.float64


@pytest.mark.parametrize("kwargs, argument", [
    (dict(fft_length=256, sequence_length=512), "fft_length"),
    (dict(window="kaiser"), "window"),
    (dict(fft_length=64, window=np.ones(32)), "window"),
    (dict(num_mel_bins=0), "num_mel_bins"),
    (dict(sequence_stride=1.5), "sequence_stride"),
])
def test_mel_spectrogram_bad_arguments_are_named(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        MelSpectrogram(**kwargs)


# ----------------------------------------------------------------- STFTSpectrogram

@pytest.mark.parametrize("case", STFT_CASES)
def test_stft_spectrogram_matches_keras(case):
    layer, config = from_keras_config(case, "STFTSpectrogram")
    x = case_input(case)
    y = layer(x)
    assert [w.name for w in layer.weights] == load(f"{case}.weight_names")
    for i, weight in enumerate(layer.weights):
        if f"{case}.weight.{i}" in DATA:
            np.testing.assert_allclose(weight.numpy(), DATA[f"{case}.weight.{i}"], atol=2e-6)
    assert_keras_numbers(y, DATA[f"{case}.y"])
    assert list(layer.compute_output_shape((None,) + x.shape[1:])) == load(f"{case}.output_shape")
    if config is not None:
        ours = layer.get_config()
        for key in ARGUMENTS["STFTSpectrogram"]:
            assert ours[key] == config[key], key


@pytest.mark.parametrize("case", ["stft_log", "stft_psd", "stft_stft", "stft_expand", "stft_cf_expand",
                                  "stft_array_window"])
def test_stft_spectrogram_in_a_functional_model(case):
    layer, _ = from_keras_config(case, "STFTSpectrogram")
    x = case_input(case)
    inputs = layers.Input(x.shape[1:])
    outputs = layer(inputs)
    assert tuple(outputs.shape) == tuple(load(f"{case}.output_shape"))
    model = kerasette.Model(inputs, outputs)
    assert_keras_numbers(model.predict(x, verbose=0), DATA[f"{case}.y"])
    again = STFTSpectrogram.from_config(layer.get_config())
    again.build(x.shape)
    again.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(again(x)), np.asarray(layer(x)))


def test_stft_spectrogram_keras_files_load_and_round_trip(tmp_path):
    from kerasette.models import model_from_json
    from kerasette.saving import load_model
    x = DATA["model_stft.x"].astype("float32")
    expected = DATA["model_stft.predict"]
    model = model_from_json(str(DATA["model_stft.json"]))
    keras_weights = tmp_path / "keras.weights.h5"
    keras_weights.write_bytes(DATA["model_stft.weights_h5"].tobytes())
    model.load_weights(str(keras_weights))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
    stft = model.get_layer("stft")
    assert [w.name for w in stft.weights] == ["real_kernel", "imag_kernel"]
    # the kernels Keras saved are not the initial ones (the fixture moved them)
    initial = kerasette.initializers.STFT("real", "hann", "density", False)((32, 1, 17))
    assert not np.allclose(stft.get_weights()[0], initial, atol=1e-3)
    # kerasette writes the same layout back
    ours = tmp_path / "ours.weights.h5"
    model.save_weights(str(ours))

    def datasets(path):
        found = {}
        with h5py.File(path, "r") as handle:
            handle.visititems(lambda name, item: found.__setitem__(name, item.shape)
                              if isinstance(item, h5py.Dataset) else None)
        return found

    assert datasets(ours) == datasets(keras_weights)
    keras_file = tmp_path / "keras_model.keras"
    keras_file.write_bytes(DATA["model_stft.keras_file"].tobytes())
    loaded = load_model(str(keras_file))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
    for a, b in zip(loaded.get_layer("stft").get_weights(), stft.get_weights()):
        np.testing.assert_array_equal(a, b)
    round_trip = tmp_path / "ours.keras"
    loaded.save(str(round_trip))
    np.testing.assert_array_equal(load_model(str(round_trip)).predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_stft_kernels_train_unless_the_layer_is_frozen():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 64, 1)).astype("float32")
    y = rng.integers(0, 2, 16)
    for trainable in (True, False):
        stft = STFTSpectrogram(mode="magnitude", frame_length=16, frame_step=8, trainable=trainable)
        model = kerasette.Sequential([layers.Input((64, 1)), stft, layers.GlobalAveragePooling1D(), layers.Dense(2)])
        before = stft.get_weights()
        assert len(model.trainable_weights) == (4 if trainable else 2)
        assert len(model.non_trainable_weights) == (0 if trainable else 2)
        model.compile(optimizer="sgd", loss=kerasette.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        moved = [not np.allclose(a, b) for a, b in zip(before, stft.get_weights())]
        assert moved == [trainable, trainable]


def test_stft_gradient_reaches_the_input():
    layer = STFTSpectrogram(mode="real", frame_length=8, frame_step=4, window=None)
    x = Tensor(np.ones((1, 16, 1), "float32"), requires_grad=True)
    layer(x).sum().backward()
    # d(sum of real parts)/dx[t] = sum over the frames covering t and the bins of cos(2 pi t f / 8)
    kernel_sums = layer.get_weights()[0][:, 0].sum(axis=1)
    expected = np.zeros(16, "float32")
    for start in range(0, 9, 4):
        expected[start:start + 8] += kernel_sums
    np.testing.assert_allclose(np.asarray(x.grad)[0, :, 0], expected, atol=1e-5)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(mode="power"), "mode"),
    (dict(scaling="l2"), "scaling"),
    (dict(padding="causal"), "padding"),
    (dict(frame_length=16, frame_step=32), "frame_step"),
    (dict(frame_length=16, frame_step=0), "frame_step"),
    (dict(frame_length=32, fft_length=16), "fft_length"),
    (dict(window="no_such_window"), "window"),
    (dict(frame_length=16, window=np.ones(8)), "window"),
    (dict(frame_length=0), "frame_length"),
])
def test_stft_spectrogram_bad_arguments_are_named(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        STFTSpectrogram(**kwargs)


def test_stft_spectrogram_bad_inputs_and_warning():
    with pytest.warns(UserWarning, match="fft_length"):
        STFTSpectrogram(frame_length=20, fft_length=40)
    layer = STFTSpectrogram(frame_length=8)
    with pytest.raises(TypeError, match="int32"):
        layer(np.ones((1, 32, 1), "int32"))
    with pytest.raises(ValueError, match="rank 3"):
        STFTSpectrogram(frame_length=8)(np.ones((2, 32), "float32"))


def test_docstring_examples_run():
    import doctest

    from kerasette.layers.preprocessing import audio
    globs = {"numpy": np, "MelSpectrogram": MelSpectrogram, "STFTSpectrogram": STFTSpectrogram}
    result = doctest.testmod(audio, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4 and result.failed == 0


def test_lengths_known_only_when_the_model_runs(tmp_path):
    from kerasette.saving import load_model
    mel_x = case_input("mel_no_window")
    mel = MelSpectrogram(**load("mel_no_window.kwargs"))
    inputs = layers.Input((None,))
    outputs = mel(inputs)
    assert tuple(outputs.shape) == (None, 20, None)
    model = kerasette.Model(inputs, outputs)
    assert_keras_numbers(model.predict(mel_x, batch_size=len(mel_x), verbose=0), DATA["mel_no_window.y"])
    assert_keras_numbers(model.predict(mel_x[:, :500], verbose=0), np.asarray(mel(mel_x[:, :500])))

    stft_x = case_input("stft_cf_expand")
    stft, _ = from_keras_config("stft_cf_expand", "STFTSpectrogram")
    inputs = layers.Input((3, None))
    outputs = stft(inputs)
    assert tuple(outputs.shape) == (None, 3, None, 9)
    model = kerasette.Model(inputs, outputs)
    assert_keras_numbers(model.predict(stft_x, verbose=0), DATA["stft_cf_expand.y"])
    model.save(str(tmp_path / "stft.keras"))
    np.testing.assert_array_equal(load_model(str(tmp_path / "stft.keras")).predict(stft_x[:, :, :30], verbose=0),
                                  model.predict(stft_x[:, :, :30], verbose=0))
