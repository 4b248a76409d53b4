"""SwapEMAWeights (against real Keras 3's numbers), RemoteMonitor (against a
local HTTP server) and ProgbarLogger's count_mode."""
import http.server
import io
import json
import os
import threading
import urllib.parse

import numpy as np
import pytest

import kerasette
from kerasette.callbacks import ProgbarLogger, RemoteMonitor, SwapEMAWeights


def _data():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((40, 5)).astype("float32")
    y = (x @ rng.standard_normal((5, 2))).astype("float32")
    return x, y


def _build(K, kernel, bias, use_ema=True):
    model = K.Sequential([K.Input((5,)), K.layers.Dense(2)])
    model.set_weights([kernel, bias])
    model.compile(optimizer=K.optimizers.SGD(0.1, use_ema=use_ema, ema_momentum=0.8), loss="mse")
    return model


def _real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    if keras is kerasette or not hasattr(keras, "ops"):
        pytest.skip("keras is not real Keras 3")
    return keras


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_gives_keras_3_validation_losses_and_final_weights(swap_on_epoch):
    keras = _real_keras()
    x, y = _data()
    rng = np.random.default_rng(0)
    kernel, bias = rng.standard_normal((5, 2)).astype("float32"), np.zeros(2, "float32")
    results = []
    for K in (kerasette, keras):
        model = _build(K, kernel, bias)
        history = model.fit(x[:32], y[:32], validation_data=(x[32:], y[32:]), epochs=3, batch_size=8,
                            shuffle=False, verbose=0, callbacks=[SwapEMAWeights(swap_on_epoch)
                                                                 if K is kerasette else
                                                                 keras.callbacks.SwapEMAWeights(swap_on_epoch)])
        results.append((history.history, [np.asarray(w) for w in model.get_weights()]))
    (ours, our_weights), (theirs, their_weights) = results
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    np.testing.assert_allclose(ours["val_loss"], theirs["val_loss"], rtol=1e-5)
    for got, want in zip(our_weights, their_weights):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_swap_ema_weights_validates_with_averages_then_trains_on():
    x, y = _data()
    rng = np.random.default_rng(0)
    model = _build(kerasette, rng.standard_normal((5, 2)).astype("float32"), np.zeros(2, "float32"))
    seen = {}

    class Spy(kerasette.callbacks.Callback):
        def on_test_begin(self, logs=None):
            seen["validated_with"] = [w.copy() for w in self.model.get_weights()]

        def on_epoch_end(self, epoch, logs=None):
            seen["after_validation"] = [w.copy() for w in self.model.get_weights()]

    model.fit(x, y, validation_data=(x, y), epochs=1, batch_size=8, verbose=0, shuffle=False,
              callbacks=[SwapEMAWeights(), Spy()])
    optimizer = model.optimizer
    averages = [optimizer._slots[i]["average"].data for i in range(2)]
    # validation ran on the averages; the trained values came back after it; the
    # end of fit then sets the weights to the averages (Keras 3's finalize)
    np.testing.assert_array_equal(seen["validated_with"][0], averages[0])
    assert not np.allclose(seen["after_validation"][0], averages[0])
    np.testing.assert_array_equal(model.get_weights()[0], averages[0])
    with pytest.raises(ValueError, match="use_ema"):
        plain = _build(kerasette, np.ones((5, 2), "float32"), np.zeros(2, "float32"), use_ema=False)
        plain.fit(x, y, validation_data=(x, y), epochs=1, verbose=0, callbacks=[SwapEMAWeights()])


class _Collector(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], self.headers.get("X-Run"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Collector.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Collector.received
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("as_json", [False, True])
def test_remote_monitor_posts_each_epochs_logs(server, as_json):
    root, received = server
    x, y = _data()
    model = _build(kerasette, np.ones((5, 2), "float32"), np.zeros(2, "float32"), use_ema=False)
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_data=(x, y),
                        callbacks=[RemoteMonitor(root=root, path="/epochs/", field="payload",
                                                 headers={"X-Run": "seven"}, send_as_json=as_json)])
    assert len(received) == 2
    for epoch, (path, content_type, run, body) in enumerate(received):
        assert path == "/epochs/" and run == "seven"
        if as_json:
            assert content_type == "application/json"
            sent = json.loads(body)
        else:
            assert content_type == "application/x-www-form-urlencoded"
            sent = json.loads(urllib.parse.parse_qs(body.decode())["payload"][0])
        assert sent["epoch"] == epoch
        assert sent["loss"] == pytest.approx(history.history["loss"][epoch], rel=1e-6)
        assert sent["val_loss"] == pytest.approx(history.history["val_loss"][epoch], rel=1e-6)


def test_remote_monitor_unreachable_server_warns_and_training_goes_on():
    x, y = _data()
    model = _build(kerasette, np.ones((5, 2), "float32"), np.zeros(2, "float32"), use_ema=False)
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server at http://127.0.0.1:9"):
        history = model.fit(x, y, epochs=2, verbose=0,
                            callbacks=[RemoteMonitor(root="http://127.0.0.1:9", timeout=2)])
    assert len(history.history["loss"]) == 2


def test_progbar_logger_counts_samples_or_steps():
    x, y = _data()
    model = _build(kerasette, np.ones((5, 2), "float32"), np.zeros(2, "float32"), use_ema=False)
    out = io.StringIO()
    model.fit(x, y, epochs=1, batch_size=16, verbose=1,
              callbacks=[ProgbarLogger(count_mode="samples", dynamic=False, file=out)])
    assert out.getvalue().startswith("40/40 [")      # 16 + 16 + 8 samples
    out = io.StringIO()
    model.predict(x, batch_size=16, verbose=1, callbacks=[ProgbarLogger(dynamic=False, file=out)])
    assert out.getvalue().startswith("3/3 [")          # Keras 3's default: steps
    out = io.StringIO()
    model.evaluate(x, y, batch_size=32, verbose=1,
                   callbacks=[ProgbarLogger(count_mode="samples", dynamic=False, file=out)])
    assert out.getvalue().startswith("40/40 [")
    with pytest.raises(ValueError, match="count_mode"):
        ProgbarLogger(count_mode="batches")
