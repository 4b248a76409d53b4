"""Keras 3's distribution names over MPI processes: a device is one process.

``list_devices()`` names one ``"cpu:<rank>"`` per process of the MPI world
(``["cpu:0"]`` without MPI); a ``DeviceMesh`` arranges them; ``DataParallel``
replicates the model on every process and splits each global batch among
them; ``set_distribution`` makes it the one ``fit``, ``evaluate`` and
``predict`` follow.

The split (``shard_bounds``): a global batch of ``B`` samples on ``N``
processes gives process ``r`` the contiguous rows ``B*r//N`` to
``B*(r+1)//N``, so when ``B`` is not divisible by ``N`` the shards differ by
one sample (a batch smaller than ``N`` leaves some processes none).  The
gradients are weighted by shard size, so the step equals one process's step
on the whole batch.
"""
from __future__ import annotations

import math
import warnings

import numpy

from . import mpi

DEFAULT_BATCH_DIM_NAME = "batch"
_state = {"distribution": None}


def list_devices(device_type=None):
    """The devices of the whole world, one per MPI process: ``["cpu:0", "cpu:1", ...]``."""
    if device_type is not None and str(device_type).lower() != "cpu":
        raise ValueError(f"list_devices: kerasette computes on CPU processes; device_type must be 'cpu' or "
                         f"None, got {device_type!r}")
    return [f"cpu:{index}" for index in range(mpi.size())]


def get_device_count(device_type=None):
    """How many devices ``list_devices`` names (the number of MPI processes)."""
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join the MPI world (see ``kerasette.distribution.mpi.initialize``)."""
    mpi.initialize(job_addresses, num_processes, process_id)


class DeviceMesh:
    """Devices arranged in a named grid: ``DeviceMesh((2,), ["batch"])``."""

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"DeviceMesh: shape and axis_names cannot be empty, got shape={shape}, "
                             f"axis_names={axis_names}")
        shape, axis_names = tuple(int(n) for n in shape), list(axis_names)
        if len(shape) != len(axis_names):
            raise ValueError(f"DeviceMesh: shape and axis_names must have the same length, got shape={shape}, "
                             f"axis_names={axis_names}")
        devices = numpy.array(list_devices() if devices is None else devices)
        if math.prod(shape) != devices.size:
            raise ValueError(f"DeviceMesh: shape {shape} holds {math.prod(shape)} devices but "
                             f"{devices.size} were given (devices.shape={devices.shape})")
        self._shape, self._axis_names = shape, axis_names
        self._devices = devices.reshape(shape)

    shape = property(lambda self: self._shape)
    axis_names = property(lambda self: self._axis_names)
    devices = property(lambda self: self._devices)

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How a tensor's axes map onto a mesh's axes (``None``: replicated)."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        if device_mesh is not None:
            self._validate()

    axes = property(lambda self: self._axes)

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, mesh):
        if self._device_mesh is not None:
            raise ValueError("TensorLayout: the device mesh is already set")
        self._device_mesh = mesh
        self._validate()

    def _validate(self):
        unknown = set(a for a in self._axes if a is not None) - set(self._device_mesh.axis_names)
        if unknown:
            raise ValueError(f"TensorLayout: axes {sorted(unknown)} are not axes of the mesh "
                             f"{self._device_mesh.axis_names}")

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


class Distribution:
    """What ``set_distribution`` takes: a mesh, the batch axis's name and this process's place."""

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = bool(auto_shard_dataset)
        self._num_processes = mpi.size()
        self._process_id = mpi.rank()

    device_mesh = property(lambda self: self._device_mesh)
    batch_dim_name = property(lambda self: self._batch_dim_name)
    num_processes = property(lambda self: self._num_processes)

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        self._auto_shard_dataset = bool(value)

    @property
    def data_shard_id(self):
        return self._process_id

    def scope(self):
        """``with distribution.scope():`` sets it for the block, as Keras 3."""
        return _Scope(self)

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(Distribution):
    """Data parallelism: the model on every process, each global batch split among them.

    ``auto_shard_dataset=False`` says the data each process passes to ``fit``
    is already its own part (each process's batches are then its shards).
    ``sharded_update=True`` (kerasette's, not Keras'): in ``fit`` each process
    runs the optimizer on its share of the weights only, and the new weights
    are gathered (kerasette/models/sharded_update.py); the same weights.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True, sharded_update=False):
        self.sharded_update = bool(sharded_update)
        if device_mesh is not None and devices is not None:
            raise ValueError("DataParallel: pass device_mesh or devices, not both")
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"DataParallel: device_mesh must be a DeviceMesh, got "
                                 f"{type(device_mesh).__name__}")
            if device_mesh.devices.ndim != 1:
                warnings.warn(f"DataParallel expects a 1-D mesh, got shape {device_mesh.shape}: its first axis "
                              "is the data-parallel one", stacklevel=2)
            batch_name = device_mesh.axis_names[0]
        else:
            devices = numpy.array(list_devices() if devices is None else devices)
            device_mesh = DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices)
            batch_name = DEFAULT_BATCH_DIM_NAME
        super().__init__(device_mesh, batch_name, auto_shard_dataset)
        if device_mesh.devices.size != self.num_processes:
            raise ValueError(f"DataParallel: the mesh holds {device_mesh.devices.size} devices but MPI runs "
                             f"{self.num_processes} process(es); each process is one device (start with "
                             f"`mpiexec -n {device_mesh.devices.size}`)")

    @property
    def num_model_replicas(self):
        return int(self.device_mesh.devices.size)

    def get_data_layout(self, data_shape):
        return TensorLayout([self.batch_dim_name] + [None] * (len(data_shape) - 1), self.device_mesh)

    def get_variable_layout(self, variable):
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None


class _Scope:
    def __init__(self, value):
        self.value, self.previous = value, None

    def __enter__(self):
        self.previous = _state["distribution"]
        set_distribution(self.value)
        return self.value

    def __exit__(self, *exc):
        _state["distribution"] = self.previous


def set_distribution(value):
    """Make ``value`` (a ``DataParallel``, or None) the distribution that training follows."""
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"set_distribution: expected a Distribution such as DataParallel() or None, got "
                         f"{type(value).__name__}")
    _state["distribution"] = value


def distribution():
    """The distribution set with ``set_distribution`` (None if none)."""
    return _state["distribution"]


def data_parallel_world():
    """``(rank, size, auto_shard_dataset)`` when a ``DataParallel`` distribution is
    set and more than one process runs; None otherwise (training as one process)."""
    value = _state["distribution"]
    if not isinstance(value, DataParallel) or value.num_processes < 2:
        return None
    return mpi.rank(), mpi.size(), value.auto_shard_dataset


def shard_bounds(count, rank_, size_):
    """Rows ``[start, stop)`` of a batch of ``count`` samples that rank ``rank_`` of ``size_`` takes."""
    return count * rank_ // size_, count * (rank_ + 1) // size_


__all__ = ["DEFAULT_BATCH_DIM_NAME", "DataParallel", "DeviceMesh", "Distribution", "TensorLayout",
           "data_parallel_world", "distribution", "get_device_count", "initialize", "list_devices",
           "set_distribution", "shard_bounds"]
