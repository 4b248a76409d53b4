"""Keras 3's per-layer state protocol: ``save_own_variables`` / ``load_own_variables``.

Saving (``model.save``, ``save_weights`` to ``.weights.h5``) hands each layer
a dict-like ``store``.  By default a layer writes its own variables into it
as ``"0"``, ``"1"``, ... (trainable ones first, then the others, in the order
they were created) and reads them back the same way, refusing a store that
holds another number of entries before it assigns anything.  A subclass may
override both to add entries of its own and call ``super()`` for the rest,
as keras.io's "Customizing Saving and Serialization" guide does.

kerasette's own saving reads and writes a layer that keeps these defaults
itself (with its shape checks and error messages, ``saving.keras3_weights``);
only a class that overrides them is handed the store.
"""
from __future__ import annotations

from ..variables import in_creation_order

__all__ = ["OwnVariables", "overrides_own_variables"]


class OwnVariables:
    """Mixed into ``Layer``: the default ``save_own_variables`` / ``load_own_variables``."""

    def _own_variables_in_order(self) -> list:
        # the order the weights were made in (trainable first): freezing the layer changes nothing
        return in_creation_order(self._own_weights)

    def save_own_variables(self, store) -> None:
        """Write this layer's own variables (not its sublayers') into ``store``: ``"0"``, ``"1"``, ..."""
        for index, variable in enumerate(self._own_variables_in_order()):
            store[str(index)] = variable.numpy()

    def load_own_variables(self, store) -> None:
        """Assign ``store["0"]``, ``store["1"]``, ... to this layer's own variables; nothing is
        assigned if the number of entries or a shape does not fit."""
        variables = self._own_variables_in_order()
        keys = list(store.keys())
        if len(keys) != len(variables):
            names = [variable.name for variable in variables]
            hint = (" It was never built: build it (or give it a build_from_config) before loading."
                    if not variables and not self.built else "")
            raise ValueError(f"Layer '{self.name}' has {len(variables)} variable(s) {names}, but the store "
                             f"holds {len(keys)} entries {sorted(keys)}.{hint}")
        values = []
        for index, variable in enumerate(variables):
            if str(index) not in store:
                raise ValueError(f"Layer '{self.name}': the store has no entry '{index}' for variable "
                                 f"'{variable.name}' (its entries: {sorted(keys)})")
            value = store[str(index)]
            shape = tuple(getattr(value, "shape", ()))
            if shape != tuple(variable.shape):
                raise ValueError(f"Layer '{self.name}': entry '{index}' has shape {shape}, but variable "
                                 f"'{variable.name}' has shape {tuple(variable.shape)}")
            values.append(value)
        for variable, value in zip(variables, values):
            variable.assign(value)


def overrides_own_variables(obj) -> bool:
    """Whether ``obj``'s class writes or reads its own store (not ``OwnVariables``' defaults)."""
    cls = type(obj)
    save, load = getattr(cls, "save_own_variables", None), getattr(cls, "load_own_variables", None)
    if not (callable(save) and callable(load)):
        return False
    return save is not OwnVariables.save_own_variables or load is not OwnVariables.load_own_variables
