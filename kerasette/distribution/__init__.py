"""Data-parallel training over MPI: ``keras.distribution``'s names and Horovod's.

Start the same script on N processes (``mpiexec -n 2 python train.py``;
``pip install 'kerasette[mpi]'`` brings mpi4py and Open MPI's ``mpiexec``),
and before ``fit``::

    from kerasette import distribution
    distribution.set_distribution(distribution.DataParallel())

Each process then trains on its part of every global batch, the gradients
are averaged over all of them with one allreduce per step, and the weights
stay the same on every process (those of rank 0 at the start).  The logs are
global; the progress bar and the files callbacks write come from rank 0.

Horovod's layer for those who know it: ``rank()``, ``size()``,
``local_rank()``, ``allreduce``, ``allgather``, ``broadcast``,
``broadcast_variables``, ``barrier``;
``set_timeout(seconds)`` bounds how long a step waits for a rank that hangs.
Without MPI every function works as a world of one process.
"""
from .mesh import (DataParallel, DeviceMesh, Distribution, TensorLayout, distribution, get_device_count,
                   initialize, list_devices, set_distribution)
from .mpi import (allgather, allreduce, barrier, broadcast, broadcast_variables, local_rank, rank, set_timeout,
                  size)

__all__ = ["DataParallel", "DeviceMesh", "Distribution", "TensorLayout", "allgather", "allreduce", "barrier",
           "broadcast", "broadcast_variables", "distribution", "get_device_count", "initialize", "list_devices",
           "local_rank", "rank", "set_distribution", "set_timeout", "size"]
