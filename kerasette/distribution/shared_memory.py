"""An allreduce through shared memory, for ranks that all run on one machine.

``MPI_Allreduce`` of a few megabytes between processes of one machine goes
through Open MPI's shared-memory transport in fragments, copied and summed
piece by piece.  When every rank shares the machine (``MPI_Comm_split_type``
with ``COMM_TYPE_SHARED`` holds them all), ``SharedReducer`` does it in one
shared window (``MPI_Win_allocate_shared``) instead:

1. each rank copies its buffer into its own row of the window;
2. barrier; rank ``r`` sums the ``r``-th segment of all rows, in rank order
   (``row 0 + row 1 + ...``, the same order every step: reproducible), into
   the window's result row;
3. barrier; every rank copies the whole result row back into its buffer.

So each number is summed once, by one rank, and every rank reads the same
bits.  The sharded optimizer update (models/sharded_update.py) uses the two
halves apart, one barrier each: ``reduce_scatter_`` (steps 1-2, each rank
keeping its own segment's sums; a tail every rank needs, the step's losses
and counts, is summed by every rank) and ``allgather_`` (each rank writes its
segment of the result row, barrier, every rank copies the whole row).  The window holds two sets of rows used in turn, so a rank may start
the next reduction while another still reads the last result.  It grows
(a collective step) when a larger buffer comes; every rank passes buffers of
the same size, as ``MPI_Allreduce`` requires too.  ``KERASETTE_MPI_SHARED_MEMORY=0``
turns it off (every reduction then goes to ``MPI_Allreduce``); ranks spread
over several machines always use ``MPI_Allreduce``.
"""
from __future__ import annotations

import os

import numpy

_ALIGN = 64


class SharedReducer:
    """Sums flat arrays over the ranks of ``comm`` (all on one machine) through a shared window."""

    def __init__(self, comm, MPI):
        self.comm, self.MPI = comm, MPI
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.window, self.capacity, self.turn = None, 0, 0

    def _grow(self, nbytes):
        if nbytes <= self.capacity:
            return
        if self.window is not None:
            self.window.Unlock_all()
            self.window.Free()
        capacity = -(-max(nbytes, 2 * self.capacity, 1 << 16) // _ALIGN) * _ALIGN
        total = 2 * (self.size + 1) * capacity
        self.window = self.MPI.Win.Allocate_shared(total if self.rank == 0 else 0, 1, comm=self.comm)
        memory, _ = self.window.Shared_query(0)
        self.area = numpy.ndarray(buffer=memory, dtype=numpy.uint8, shape=(total,))
        self.window.Lock_all()
        self.capacity = capacity

    def _barrier(self, wait):
        self.window.Sync()
        if wait is None:
            self.comm.Barrier()
        else:
            wait(self.comm.Ibarrier())
        self.window.Sync()

    def allreduce_sum_(self, buffer, wait=None):
        """Sum ``buffer`` (C-contiguous, any shape) over the ranks in place; ``wait(request)`` waits
        for a non-blocking barrier (a timeout), None: blocking barriers."""
        if not buffer.flags.c_contiguous:
            raise ValueError("allreduce_sum_: the buffer must be C-contiguous (it is summed in place)")
        buffer = buffer.reshape(-1)
        rows, result = self._rows(buffer)
        rows[self.rank][:] = buffer
        self._barrier(wait)
        count = buffer.size
        _sum_rows(rows, slice(count * self.rank // self.size, count * (self.rank + 1) // self.size), result)
        self._barrier(wait)
        buffer[:] = result

    def _rows(self, buffer):
        """This turn's rows (one per rank) and result row, as arrays like ``buffer``."""
        self._grow(buffer.nbytes)
        base = self.turn * (self.size + 1) * self.capacity
        self.turn ^= 1
        rows = [self.area[base + k * self.capacity:base + k * self.capacity + buffer.nbytes].view(buffer.dtype)
                for k in range(self.size)]
        start = base + self.size * self.capacity
        return rows, self.area[start:start + buffer.nbytes].view(buffer.dtype)

    def reduce_scatter_(self, buffer, low, high, tail, wait=None):
        """Sum ``buffer`` (flat, C-contiguous) over the ranks: ``buffer[low:high]`` (this
        rank's segment) and the last ``tail`` elements get the sums, in place; the rest
        of ``buffer`` is left as it was.  One barrier: the rows of a turn are written
        again two collectives later, when every rank has passed the barrier between."""
        rows, _ = self._rows(buffer)
        rows[self.rank][:] = buffer
        self._barrier(wait)
        _sum_rows(rows, slice(low, high), buffer)
        if tail:
            _sum_rows(rows, slice(buffer.size - tail, buffer.size), buffer)
        return buffer

    def allgather_(self, buffer, low, high, wait=None):
        """Every rank's segment of ``buffer`` (rank ``r`` holds ``buffer[low_r:high_r]``, the
        segments tiling it) into every rank's ``buffer``, in place.  One barrier."""
        _, result = self._rows(buffer)
        result[low:high] = buffer[low:high]
        self._barrier(wait)
        buffer[:] = result
        return buffer


def _sum_rows(rows, part, out):
    """``out[part] = rows[0][part] + rows[1][part] + ...``, in rank order (the same bits on every
    rank, run to run)."""
    if part.stop > part.start:
        numpy.add(rows[0][part], rows[1][part], out=out[part])
        for row in rows[2:]:
            out[part] += row[part]


_state = {"checked": False, "reducer": None}


def reducer_for(comm, MPI):
    """A ``SharedReducer`` when every rank of ``comm`` shares this machine (decided once,
    collectively, at the first reduction), else None."""
    if not _state["checked"]:
        _state["checked"] = True
        node = comm.Split_type(MPI.COMM_TYPE_SHARED)
        wanted = os.environ.get("KERASETTE_MPI_SHARED_MEMORY", "1") != "0" and node.Get_size() == comm.Get_size()
        node.Free()
        if comm.allreduce(int(wanted), op=MPI.MIN):    # every rank decides alike
            _state["reducer"] = SharedReducer(comm, MPI)
    return _state["reducer"]


__all__ = ["SharedReducer", "reducer_for"]
