"""The compiler: (fetches, feeds, updates) -> a Program, once.

Compiling does all the graph work up front:

* schedule: a topological order of exactly the nodes the fetches and updates
  need (everything else is pruned), with feeds acting as leaves;
* slots: every value lives in one slot of a flat list; constants are filled
  in when compiling, variables are read when a run starts;
* rewrites: schedule changes that give the same bits for less work
  (rewrites.py: a max pool moved before the relu and bias add that feed it;
  elementwise ops writing into an input array nothing else holds);
* lifetimes: after the last step that reads a slot, the slot is cleared so the
  array can be freed while the run goes on.

Running a program is then a flat loop over prepared steps; nothing about the
graph is looked at again.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy

from .. import backend
from ..primitives.base import format_shape
from .autodiff import topological_order
from .node import Node
from .rewrites import InPlace, in_place, pool_first


class FeedError(ValueError):
    """A value fed to a placeholder has the wrong shape or dtype, or a feed is missing."""


def check_feed(node: Node, value):
    """``value`` as an array of the placeholder's dtype, or a FeedError naming it."""
    xp = backend.array_module()
    if not isinstance(value, xp.ndarray):
        value = xp.asarray(value)
        if value.dtype.kind == "f" and node.dtype.kind == "f":
            value = value.astype(node.dtype)
    if value.dtype != node.dtype:
        if not xp.can_cast(value.dtype, node.dtype, casting="same_kind"):
            raise FeedError(
                f"Cannot feed a value of dtype {value.dtype.name} to '{node.name}:0', "
                f"which has dtype {node.dtype.name}"
            )
        value = value.astype(node.dtype)
    if len(value.shape) != len(node.shape) or any(
        expected is not None and expected != got for expected, got in zip(node.shape, value.shape)
    ):
        raise FeedError(
            f"Cannot feed a value of shape {format_shape(value.shape)} to '{node.name}:0', "
            f"which has shape {format_shape(node.shape)}"
        )
    return value


class Program:
    """A compiled schedule: ``program(*feed_values)`` returns the fetched arrays.

    ``updates`` is a list of ``(variable_node, value_node)``: the values are
    computed with the fetches, and written to the variables after the run, so
    every read in one run sees the variables as they were when it started.

    ``update_lanes=2`` runs the update work that only updates need (an
    optimizer's per-variable arithmetic) in two lanes, this thread and
    ``backend.helper_thread()``, after everything else: numpy releases the
    GIL in its loops, so the lanes run side by side.  Each variable's ops
    stay in one lane in their usual order, so the results are the same bits.
    """

    def __init__(self, fetches, feeds=(), updates=(), update_lanes=1):
        self.fetches = list(fetches)
        self.feeds = list(feeds)
        self.updates = list(updates)
        update_values = [value for _, value in self.updates]
        # assign nodes write their variable at the end of the run, like updates
        order = topological_order(self.fetches + update_values, stop=self.feeds)
        feed_ids = {id(node) for node in self.feeds}
        for node in order:
            if node.kind == "placeholder" and id(node) not in feed_ids:
                raise FeedError(f"You must feed a value for placeholder '{node.name}:0' "
                                f"with shape {format_shape(node.shape)} and dtype {node.dtype.name}")

        slot_of = {id(node): slot for slot, node in enumerate(order)}
        self.template = [None] * len(order)
        self.feed_slots = [slot_of[id(node)] for node in self.feeds if id(node) in slot_of]
        self.feed_used = [id(node) in slot_of for node in self.feeds]
        self.variable_slots = []
        self.assign_writes = []
        steps = []
        for node in order:
            slot = slot_of[id(node)]
            if id(node) in feed_ids:
                continue
            if node.kind == "constant":
                self.template[slot] = node.value
            elif node.kind == "variable":
                self.variable_slots.append((slot, node.holder))
            elif node.kind == "assign":
                self.template[slot] = None
                steps.append((_identity, (slot_of[id(node.inputs[0])],), {}, slot))
                self.assign_writes.append((node.holder, slot))
            elif node.kind == "op":
                in_slots = tuple(slot_of[id(parent)] for parent in node.inputs)
                steps.append((node.op.forward, in_slots, node.attrs, slot))
            else:
                raise TypeError(f"Cannot compile {node!r} of kind {node.kind!r}")

        self.fetch_slots = [slot_of[id(node)] for node in self.fetches]
        self.update_writes = [(variable.holder, slot_of[id(value)]) for variable, value in self.updates]
        self.update_writes += self.assign_writes
        kept = set(self.fetch_slots) | {slot for _, slot in self.update_writes}
        steps = [list(step) for step in steps]
        self.rewrites = pool_first(steps, order, kept)     # the same bits for less work: rewrites.py
        self.in_place = in_place(steps, kept)
        steps = [tuple(step) for step in steps]
        lanes = []
        if update_lanes > 1 and self.updates:
            lane_of = _update_lanes(order, self.fetches, self.updates, self.feeds, update_lanes)
            if lane_of:
                lane_slots = [{slot_of[key] for key, lane in lane_of.items() if lane == k}
                              for k in range(update_lanes)]
                lanes = [[step for step in steps if step[3] in slots] for slots in lane_slots]
                in_lanes = set().union(*lane_slots)
                main = [step for step in steps if step[3] not in in_lanes]
                if any(slot in in_lanes for step in main for slot in step[1]):
                    lanes = []      # something outside the lanes reads a lane's result
                else:
                    steps = main
        # slots read by a lane but made before it are released after the lanes join
        made_in_lanes = {step[3] for lane in lanes for step in lane}
        shared = {slot for lane in lanes for step in lane for slot in step[1]} - made_in_lanes
        self.steps = _with_releases(steps, kept | shared)
        self.lanes = [_with_releases(lane, kept | shared) for lane in lanes]
        self.lane_releases = tuple(shared - kept)
        self.xp = backend.array_module()

    def __call__(self, *feed_values):
        if len(feed_values) != len(self.feeds):
            raise FeedError(f"This program takes {len(self.feeds)} feeds, got {len(feed_values)}")
        values = list(self.template)
        for slot, holder in self.variable_slots:
            values[slot] = holder.data
        slots = iter(self.feed_slots)
        for node, value, used in zip(self.feeds, feed_values, self.feed_used):
            if used:
                values[next(slots)] = check_feed(node, value)
        self._run(self.steps, values)
        if self.lanes and backend.on_helper_thread():
            for lane in self.lanes:
                self._run(lane, values)
        elif self.lanes:
            others = [backend.helper_thread().submit(self._run, lane, values) for lane in self.lanes[1:]]
            self._run(self.lanes[0], values)
            for other in others:
                other.result()
            for slot in self.lane_releases:
                values[slot] = None
        for holder, slot in self.update_writes:
            holder.data = values[slot]
        return [values[slot] for slot in self.fetch_slots]

    def _run(self, steps, values):
        xp = self.xp
        for forward, in_slots, attrs, out_slot, release in steps:
            values[out_slot] = forward(xp, *[values[i] for i in in_slots], **attrs)
            for slot in release:
                values[slot] = None

    def __repr__(self):
        return f"<Program {len(self.steps)} steps, {len(self.feeds)} feeds, {len(self.fetches)} fetches>"


def _identity(xp, value):
    return value


class _Calibration(InPlace):
    """An ``InPlace`` step that records the reference count its call sees, and never writes."""

    def __init__(self):
        self.candidates = (0,)
        self.forward = _identity

    def takes(self, array, count, xp):
        InPlace.alone = count
        return False


def _calibrate():
    """``InPlace.alone``: the count ``InPlace.__call__`` sees for an array that only the
    program's value list holds, measured by running such a step through ``Program._run``
    (the count depends on how the interpreter passes ``*arrays``)."""
    Program._run(SimpleNamespace(xp=numpy), [(_Calibration(), (0,), {}, 1, ())], [numpy.empty(1), None])


_calibrate()


def _with_releases(steps, kept):
    """Steps with, after each, the slots whose last reader it is (kept slots never)."""
    last_use = {}
    for index, (_, in_slots, _, _) in enumerate(steps):
        for slot in in_slots:
            last_use[slot] = index
    releases = [[] for _ in steps]
    for slot, index in last_use.items():
        if slot not in kept:
            releases[index].append(slot)
    return [(forward, in_slots, attrs, out_slot, tuple(releases[i]))
            for i, (forward, in_slots, attrs, out_slot) in enumerate(steps)]


def _update_lanes(order, fetches, updates, feeds, count):
    """Split the optimizer's per-variable update work into ``count`` lanes.

    The lanes take the ops that descend from a variable this program writes
    and nothing fetched reads (an optimizer's slots, such as Adam's moments,
    or in an update-only program the weights themselves): each variable's
    update arithmetic, which only updates need.  Gradients, the rest of the
    step and scalars (a step size shared by every variable) stay on the main
    path and are computed before the lanes start.  The lane ops fall into
    connected groups, one per variable and its slots; groups are dealt to
    the lanes largest first, each to the lane with the fewest elements so
    far.  Returns {id(node): lane}, or {} when there are fewer groups than lanes.
    """
    for_fetches = {id(node) for node in topological_order(fetches, stop=feeds)}
    written = {id(variable.holder) for variable, _ in updates if variable.kind == "variable"}
    tainted = {id(node) for node in order if node.kind == "variable"
               and id(node) not in for_fetches and id(node.holder) in written}
    members = []
    for node in order:
        if node.kind == "op" and id(node) not in for_fetches and \
                any(id(parent) in tainted for parent in node.inputs):
            tainted.add(id(node))
            if tuple(node.shape) != ():
                members.append(node)
    group = {id(node): id(node) for node in members}

    def find(key):
        while group[key] != key:
            group[key] = group[group[key]]
            key = group[key]
        return key

    for node in members:
        for parent in node.inputs:
            if id(parent) in group:
                group[find(id(parent))] = find(id(node))
    sizes = {}
    for node in members:
        root = find(id(node))
        sizes[root] = sizes.get(root, 0) + _elements(node.shape)
    if len(sizes) < count:
        return {}
    load, lane_of_group = [0] * count, {}
    for root in sorted(sizes, key=lambda r: -sizes[r]):
        lane = load.index(min(load))
        lane_of_group[root] = lane
        load[lane] += sizes[root]
    return {id(node): lane_of_group[find(id(node))] for node in members}


def _elements(shape):
    total = 1
    for size in shape:
        total *= size if size is not None else 1
    return total
