"""``TensorBoard``: fit's losses, metrics, learning rate, weights and model, for TensorBoard to show.

Keras 3's callback, arguments, tags and directory layout, written through
tensorboardX (``pip install kerasette[tensorboard]``; TensorBoard itself,
``pip install tensorboard``, only to look at them):

* ``log_dir/train``: ``epoch_<name>`` for every training log and the
  optimizer's ``learning_rate`` (step: the epoch), ``batch_<name>`` every
  ``update_freq`` batches (step: the batch counted over the whole fit),
  ``<weight path>/histogram`` (and ``/image``) every ``histogram_freq``
  epochs, and the model as JSON under the tag ``keras`` (TensorBoard's
  "graph_keras_model" plugin draws it in the Graphs tab);
* ``log_dir/validation``: ``epoch_<name>`` for each ``val_<name>`` (prefix
  dropped), and ``evaluation_<name>_vs_iterations`` at the optimizer's
  iteration count after each validation or ``evaluate``.

Scalars are TensorBoard's classic ``simple_value`` (float32), which
``EventAccumulator.Scalars`` reads back.  kerasette has no profiler:
``profile_batch`` is checked as Keras checks it, then ignored (with a
warning when it asks for one).  ``embeddings_freq``: every that many epochs,
each ``Embedding`` layer's matrix is written for TensorBoard's projector
(``projector_config.pbtxt`` beside the tensors, ``embeddings_metadata`` a
labels file for all layers or a ``{layer name: file}`` dict).  Keras 3 saves a
``.weights.h5`` file there instead, which the projector cannot read.

This module imports no model or saving code (callbacks sit below them): it
talks to the model through ``layers``, ``weights``, ``optimizer`` and
``to_json``.
"""
from __future__ import annotations

import os
import time
import warnings

import numpy as np

from .callback import Callback

__all__ = ["TensorBoard"]

# Keras 3's model JSON (``serialize_keras_object``'s format, whose ``inbound_nodes`` TensorBoard's graph
# plugin reads); saving writes it and sits above callbacks, so the public face (kerasette/__init__.py)
# sets this hook.  Without it the model's own ``to_json()`` (Keras 2's format) is written.
model_json = None


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as error:
        raise ImportError("The TensorBoard callback writes its event files with tensorboardX: "
                          "pip install 'kerasette[tensorboard]' (or: pip install tensorboardX)") from error
    return SummaryWriter


def _profile_range(profile_batch) -> tuple:
    """Keras 3's reading of ``profile_batch``: an int, a pair, or a "start,stop" string."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of "
               f"positive integers signifies a range of batches to profile. Found: {profile_batch!r}")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(message)
    if isinstance(value, (int, np.integer)):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, np.integer))
                                                                      for v in value):
        start, stop = int(value[0]), int(value[1])
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _weight_image(array: np.ndarray):
    """A weight as Keras 3 shows it: an NHWC image batch, or None when it has no picture."""
    image = np.squeeze(array)
    if image.ndim == 1:                       # a bias: one row
        image = image.reshape(1, 1, image.shape[0], 1)
    elif image.ndim == 2:                     # a Dense kernel, wide side across
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:                     # a conv kernel: one image per output channel
        image = np.transpose(image, (2, 0, 1))
        image = image.reshape(image.shape[0], image.shape[1], image.shape[2], 1)
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    low, high = float(image.min()), float(image.max())
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return scaled.astype(np.float32)


class TensorBoard(Callback):
    """Log what ``fit`` does for TensorBoard (Keras 3's callback, written with tensorboardX).

    >>> tensorboard = TensorBoard(log_dir="logs", histogram_freq=1)      # doctest: +SKIP
    >>> model.fit(x, y, validation_split=0.2, callbacks=[tensorboard])   # doctest: +SKIP

    then ``tensorboard --logdir logs``.  See the module's docstring for what goes where.
    """

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq="epoch",
                 profile_batch=0, embeddings_freq: int = 0, embeddings_metadata=None):
        super().__init__()
        self._writer_class = _summary_writer_class()
        if update_freq != "epoch" and update_freq != "batch" and not (
                isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool)
                and update_freq > 0):
            raise ValueError(f'update_freq must be "epoch", "batch" or a positive integer, got {update_freq!r}')
        for name, value in (("histogram_freq", histogram_freq), ("embeddings_freq", embeddings_freq)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, os.PathLike, dict)):
            raise ValueError("embeddings_metadata must be a file path or a dict {layer name: file path}, "
                             f"got {type(embeddings_metadata).__name__}")
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        if self._stop_batch > 0:
            warnings.warn("kerasette has no profiler: TensorBoard(profile_batch=...) is accepted and "
                          "ignored; the event files hold no trace", stacklevel=2)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = int(embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._training = False
        self._global_train_batch = 0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0
        self._batch_start_time = 0.0

    # ------------------------------------------------------------ writers
    @property
    def _train_dir(self) -> str:
        return os.path.join(self.log_dir, "train")

    @property
    def _val_dir(self) -> str:
        return os.path.join(self.log_dir, "validation")

    def _writer(self, which: str):
        """The train or validation writer, made when first written to (no empty event files)."""
        if which not in self._writers:
            directory = self._train_dir if which == "train" else self._val_dir
            self._writers[which] = self._writer_class(logdir=directory, flush_secs=30)
        return self._writers[which]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model) -> None:
        super().set_model(model)
        self._close_writers()
        if self.write_graph:
            self._write_model_json()

    def _write_model_json(self) -> None:
        """The model's JSON under the tag ``keras``, plugin ``graph_keras_model``, step 0 (Keras 3 writes
        it for Sequential and functional models only: a subclassed model's config is not its graph)."""
        model = self.model
        if not getattr(model, "is_functional", False):
            return
        try:
            text = model_json(model) if model_json is not None else model.to_json()
        except Exception as error:   # a model that does not serialize still trains
            warnings.warn(f"TensorBoard: the model failed to serialize as JSON, no graph is written ({error})",
                          stacklevel=2)
            return
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.proto.tensor_pb2 import TensorProto
        from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model",
                                                                          content=b"1"))
        tensor = TensorProto(dtype=7, string_val=[text.encode("utf-8")],   # 7: DT_STRING
                             tensor_shape=TensorShapeProto())
        summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        writer = self._writer("train")
        writer._get_file_writer().add_summary(summary, 0)
        writer.flush()

    # ------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._training = True

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if iterations is None or not logs:
            return
        step = int(np.asarray(_value(iterations)))
        writer = self._writer("val")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), step)
        if not self._training:
            # evaluate() on its own: close, so that the events are on disk when it returns
            # (tensorboardX's flush does not wait for its writer thread); a later call reopens
            self._close_writers()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def _record_batch(self) -> bool:
        return self.update_freq != "epoch" and self._global_train_batch % self.update_freq == 0

    def on_train_batch_end(self, batch, logs=None):
        if not self._record_batch():
            return
        writer = self._writer("train")
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start_time, 1e-9)
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
        if isinstance(logs, dict):
            for name, value in logs.items():
                writer.add_scalar(f"batch_{name}", float(value), step)

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start_time = time.time()
            self._epoch_start_iterations = self._iterations()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()

    # ------------------------------------------------------------ what is written
    def _iterations(self) -> int:
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        return 0 if iterations is None else int(np.asarray(_value(iterations)))

    def _learning_rates(self) -> dict:
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)    # a LossScaleOptimizer's
        if optimizer is None:
            return {}
        if hasattr(optimizer, "optimizers"):
            return {f"learning_rate_{inner.name}": float(np.asarray(_value(inner.learning_rate)))
                    for inner in optimizer.optimizers}
        if hasattr(optimizer, "learning_rate"):
            try:
                return {"learning_rate": float(np.asarray(_value(optimizer.learning_rate)))}
            except (TypeError, ValueError):
                return {}
        return {}

    def _log_epoch_metrics(self, epoch, logs) -> None:
        if not logs:
            return
        train = {key: value for key, value in logs.items() if not key.startswith("val_")}
        validation = {key[4:]: value for key, value in logs.items() if key.startswith("val_")}
        train.update(self._learning_rates())
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            train["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / elapsed
        for which, values in (("train", train), ("val", validation)):
            if values:
                writer = self._writer(which)
                for name, value in values.items():
                    writer.add_scalar(f"epoch_{name}", float(value), epoch)

    def _log_weights(self, epoch) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = str(getattr(weight, "path", None) or weight.name).replace(":", "_")
                array = np.asarray(_value(weight), dtype=np.float64)
                writer.add_histogram(f"{name}/histogram", array, epoch, bins="tensorflow")
                if self.write_images:
                    image = _weight_image(array)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")

    def _embedding_layers(self) -> list:
        from ..layers import Embedding
        return [layer for layer in self.model.layers if isinstance(layer, Embedding)]

    def _log_embeddings(self, epoch) -> None:
        embeddings = self._embedding_layers()
        metadata = self.embeddings_metadata
        if isinstance(metadata, dict):
            unknown = sorted(set(metadata) - {layer.name for layer in embeddings})
            if unknown:
                raise ValueError(f"Unrecognized Embedding layer names passed to TensorBoard's "
                                 f"embeddings_metadata: {unknown}")
        writer = self._writer("train")
        for layer in embeddings:
            path = metadata.get(layer.name) if isinstance(metadata, dict) else metadata
            labels = None
            if path is not None:
                with open(path, encoding="utf-8") as handle:
                    labels = [line.rstrip("\n") for line in handle]
            matrix = np.asarray(_value(layer.embeddings), dtype=np.float32)
            if labels is not None and len(labels) != matrix.shape[0]:
                raise ValueError(f"embeddings_metadata for '{layer.name}' has {len(labels)} labels; "
                                 f"the embedding has {matrix.shape[0]} rows")
            writer.add_embedding(matrix, metadata=labels, global_step=epoch, tag=layer.name)


def _value(variable):
    """A Variable's (or a tensor's) numpy value; a plain number as it is."""
    numpy_method = getattr(variable, "numpy", None)
    if callable(numpy_method):
        return numpy_method()
    return getattr(variable, "data", variable)
