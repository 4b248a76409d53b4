"""Which of Keras 3's ``keras.ops`` names kerasette offers, and which it lacks.

Run with the dev venv (real Keras 3 installed)::

    python -m tests.ops.keras_ops_coverage

It lists ``dir(keras.ops)`` and of ``keras.ops.numpy/nn/linalg/image``
against ``kerasette.ops`` and its submodules of the same names, leaving out
the few names that only make sense on a backend with its own tracer
(``EXCLUDED``), and prints the measured coverage.  ``test_ops_coverage``
imports ``compare`` to keep the numbers from sliding back.
"""
from __future__ import annotations

import os

#: names that belong to a JAX/TF/torch tracer, not to an op set on arrays (none left: ``jvp``
#: is reverse mode twice)
EXCLUDED: dict = {}
NAMESPACES = ("", "numpy", "nn", "linalg", "image")


def public(module) -> set:
    import types
    return {n for n in dir(module) if not n.startswith("_")
            and not isinstance(getattr(module, n), types.ModuleType)}


def compare() -> dict:
    """``{namespace: (keras names, kerasette names present, missing)}``."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    import kerasette.ops as kops
    result = {}
    for space in NAMESPACES:
        theirs = keras.ops if not space else getattr(keras.ops, space)
        ours = kops if not space else getattr(kops, space, None)
        wanted = public(theirs) - set(EXCLUDED)
        have = {n for n in wanted if ours is not None and callable(getattr(ours, n, None))}
        result[space or "ops"] = (wanted, have, sorted(wanted - have))
    return result


def main():
    for space, (wanted, have, missing) in compare().items():
        print(f"keras.{space if space == 'ops' else 'ops.' + space}: {len(have)}/{len(wanted)} "
              f"({100 * len(have) / len(wanted):.0f}%)")
        if missing:
            print("  missing:", " ".join(missing))
    print("excluded:", ", ".join(f"{k} ({v})" for k, v in EXCLUDED.items()) or "none")


if __name__ == "__main__":
    main()
