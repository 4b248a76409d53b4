"""Public-name coverage: Keras 3's public names (keras.ops left out) against kerasette's.

Run with the dev venv (real Keras 3 installed):

    KERAS_BACKEND=jax python tools/api_coverage.py [--modules losses,metrics] [--missing]

For each public Keras 3 module (``keras``, ``keras.losses``, ...) it lists the
names ``dir()`` shows, leaves out those that only make sense on JAX, TF or
torch (``EXCLUDED``) and counts how many kerasette's matching module offers.
``--missing`` prints the names still missing.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

#: the modules compared (keras.ops is another helper's, the backend-specific ones are left out)
MODULES = ("", "activations", "backend", "constraints", "initializers", "losses", "metrics",
           "optimizers", "optimizers.schedules", "mixed_precision", "dtype_policies",
           "regularizers", "config", "random", "utils", "callbacks", "models", "saving",
           "layers", "applications", "datasets", "tree", "visualization", "preprocessing")

#: names that only make sense on a JAX/TF/torch backend (or are Keras' internal plumbing)
EXCLUDED = {
    "": {"ops", "src", "api", "tree", "distribution", "wrappers", "export", "legacy",
         "quantizers", "distillation", "StatelessScope", "SymbolicScope", "RematScope",
         "remat", "Quantizer"},
    "backend": {"backend", "get_uid", "is_float_dtype_policy"},
    "config": {"is_flash_attention_enabled", "enable_flash_attention",
               "disable_flash_attention", "is_nnx_enabled", "set_backend"},
    "utils": {"JaxLayer", "FlaxLayer", "TorchModuleWrapper"},
    "layers": {"JaxLayer", "FlaxLayer", "TorchModuleWrapper", "TFSMLayer"},
    "dtype_policies": {"GPTQDTypePolicy", "AWQDTypePolicy", "QuantizedDTypePolicy",
                       "QuantizedFloat8DTypePolicy", "Int4DTypePolicy"},
}


def public_names(module) -> set:
    return {n for n in dir(module) if not n.startswith("_")}


def keras_module(name):
    import keras
    return keras if not name else importlib.import_module(f"keras.{name}")


def kerasette_module(name):
    import kerasette
    if not name:
        return kerasette
    obj = kerasette
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            try:
                obj = importlib.import_module(f"kerasette.{name}")
            except ImportError:
                return None
            break
    return obj


def coverage(modules=MODULES):
    rows = []
    for name in modules:
        try:
            reference = keras_module(name)
        except ImportError:
            continue
        wanted = {n for n in public_names(reference) if not isinstance(
            getattr(reference, n, None), type(sys)) or name == ""}
        if name == "":     # the top level: submodules are counted on their own rows
            wanted = {n for n in wanted if not isinstance(getattr(reference, n), type(sys))}
        wanted -= EXCLUDED.get(name, set())
        ours = kerasette_module(name)
        have = public_names(ours) if ours is not None else set()
        rows.append((name or "(top)", wanted, wanted & have, sorted(wanted - have)))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", default=",".join(MODULES))
    parser.add_argument("--missing", action="store_true")
    args = parser.parse_args(argv)
    rows = coverage([m if m != "(top)" else "" for m in args.modules.split(",")])
    total = found = 0
    print("| module | Keras 3 names | kerasette has | coverage |")
    print("|---|---|---|---|")
    for name, wanted, have, _ in rows:
        total, found = total + len(wanted), found + len(have)
        share = 100.0 * len(have) / len(wanted) if wanted else 100.0
        print(f"| {name} | {len(wanted)} | {len(have)} | {share:.1f}% |")
    print(f"| all | {total} | {found} | {100.0 * found / max(total, 1):.1f}% |")
    if args.missing:
        for name, _, _, missing in rows:
            if missing:
                print(f"\n{name}: " + ", ".join(missing))


if __name__ == "__main__":
    main()
