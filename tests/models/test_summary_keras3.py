"""summary() in Keras 3's box table, compared character for character with real Keras 3's text.

``tests/fixtures/summary/*.txt`` hold what real Keras 3 handed ``print_fn``
for the models of ``tests/fixtures/summary_models.py`` (Keras 3 code run on
both libraries), written by ``tests/fixtures/make_keras_summary_fixtures.py``
with ``COLUMNS=80``.  Keras 2's table stays the default (``test_summary.py``
pins it); Keras 3's is chosen with ``style='keras3'``,
``kerasette.config.set_summary_style('keras3')`` or ``KERASETTE_SUMMARY_STYLE``.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasette
from kerasette import Input, Model, Sequential, backend, config
from kerasette.layers import Dense
from kerasette.models.summary import summary_text

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
TEXTS = os.path.join(FIXTURES, "summary")
_spec = importlib.util.spec_from_file_location("summary_models", os.path.join(FIXTURES, "summary_models.py"))
summary_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary_models)


def keras_text(name: str) -> str:
    with open(os.path.join(TEXTS, f"{name}.txt"), encoding="utf-8") as file:
        return file.read()


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")      # the width the fixtures were written at
    backend.clear_session()
    yield
    config.set_summary_style("keras2")


def keras3_summary(model, **kwargs) -> str:
    captured = []
    model.summary(print_fn=captured.append, style="keras3", **kwargs)
    assert len(captured) == 1                # Keras 3 hands print_fn the whole text at once
    return captured[0]


@pytest.mark.parametrize("case", sorted(summary_models.CASES))
def test_text_matches_real_keras3(case):
    build, kwargs = summary_models.CASES[case]
    text = keras3_summary(build(kerasette), **kwargs)
    if case == "compiled":
        # Keras 3's step counter is int32 on jax, int64 (like kerasette's) on tensorflow
        assert text == keras_text("compiled.tensorflow")
        jax_lines, lines = keras_text("compiled").splitlines(), text.splitlines()
        assert lines[:-1] == jax_lines[:-1] and lines[-1].startswith(" Optimizer params: 2,026 (")
    else:
        assert text == keras_text(case), f"{case}:\n{text}"


def test_fixtures_are_real_keras3():
    with open(os.path.join(TEXTS, "versions.json"), encoding="utf-8") as file:
        versions = json.load(file)
    assert versions["keras"].startswith("3.")
    assert set(summary_models.CASES) <= {name[:-4] for name in os.listdir(TEXTS) if name.endswith(".txt")}


def test_keras2_table_stays_the_default():
    model = summary_models.sequential(kerasette)
    lines = summary_text(model).splitlines()
    assert config.summary_style() == "keras2"
    assert lines[1] == "_" * 65 and lines[-1] == "_" * 65
    captured = []
    model.summary(print_fn=captured.append)
    assert captured == lines             # Keras 2's print_fn gets one line per call


def test_setting_switches_plain_summary_calls(capsys):
    model = summary_models.nested(kerasette)
    kerasette.config.set_summary_style("keras3")
    assert kerasette.config.summary_style() == "keras3"
    model.summary()                      # Keras 3 code as it is: no argument
    assert capsys.readouterr().out == keras_text("nested")
    model.summary(style="keras2")        # the argument overrides the setting for one call
    assert capsys.readouterr().out.splitlines()[1] == "_" * 65
    with pytest.raises(ValueError, match="summary style"):
        kerasette.config.set_summary_style("rich")
    with pytest.raises(ValueError, match="summary style"):
        model.summary(style="keras4")


def test_environment_variable_sets_the_starting_style(tmp_path):
    script = ("import kerasette as keras\n"
              "inputs = keras.Input(shape=(3,), name='x')\n"
              "model = keras.Model(inputs, keras.layers.Dense(2, name='d')(inputs), name='m')\n"
              "model.summary()\n")
    env = dict(os.environ, KERASETTE_SUMMARY_STYLE="keras3", COLUMNS="80")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ['Model: "m"', "┏" + "━" * 33 + "┳" + "━" * 24 + "┳" + "━" * 15 + "┓"]
    assert " Total params: 8 (32.00 B)" in result.stdout.splitlines()


def test_width_follows_the_terminal_like_keras(monkeypatch):
    model = summary_models.functional_branches(kerasette)
    monkeypatch.setenv("COLUMNS", "64")   # the default width is the terminal's less 4: 60 here
    assert keras3_summary(model) == keras_text("functional_line_length_60")
    with pytest.raises(ValueError, match="Insufficient console width"):
        keras3_summary(model, line_length=12)


def test_byte_sizes_follow_dtypes():
    from kerasette.models.summary_keras3 import readable_memory_size, weight_memory_size
    inputs = Input(shape=(300,), name="x")
    model = Model(inputs, Dense(1000, dtype="float64", name="wide")(inputs), name="sizes")
    text = keras3_summary(model)
    # 301,000 float64 weights: 2,408,000 bytes
    assert " Total params: 301,000 (2.30 MB)" in text.splitlines()
    assert weight_memory_size(model.weights) == 2_408_000
    assert weight_memory_size(model.weights + model.weights) == 2_408_000   # each weight once
    assert [readable_memory_size(n) for n in (0, 1023, 1024, 1536 * 1024, 3 * 1024 ** 4)] == [
        "0.00 B", "1023.00 B", "1.00 KB", "1.50 MB", "3.00 TB"]


def test_subclassed_model_rows():
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = Dense(5, name="h")
            self.out = Dense(2, name="o")

        def call(self, x):
            return self.out(self.hidden(x))

    net = Net()
    net(np.zeros((3, 4), np.float32))
    lines = keras3_summary(net).splitlines()
    # Keras 3 shows the batch size the layers were built with, (3, 5); kerasette keeps None
    assert lines[4] == "│ h (Dense)                       │ (None, 5)              │            25 │"
    assert lines[-3:] == [" Total params: 37 (148.00 B)", " Trainable params: 37 (148.00 B)",
                          " Non-trainable params: 0 (0.00 B)"]


def test_deep_chain_summarises_without_recursion():
    inputs = x = Input(shape=(1,), name="x")
    for _ in range(1500):
        x = Dense(1)(x)
    text = summary_text(Model(inputs, x, name="deep"), style="keras3")
    assert text.count("(Dense)") == 1500 and "Connected to" not in text
    assert Sequential([Input(shape=(1,))] + [Dense(1) for _ in range(300)]).summary(
        print_fn=lambda text: None, style="keras3") is None
