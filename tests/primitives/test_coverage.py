"""Every registered primitive is exercised by the generic checks somewhere."""
import importlib
import pkgutil

import tests.primitives as package
from kerasette.primitives import REGISTRY


def all_cases():
    cases = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("test_") and info.name != "test_coverage":
            module = importlib.import_module(f"tests.primitives.{info.name}")
            cases.extend(getattr(module, "CASES", []))
    return cases


def test_every_primitive_has_a_case():
    covered = {case.primitive for case in all_cases()}
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"primitives without a gradient/shape case: {missing}"


def test_differentiable_cases_check_a_gradient():
    # a differentiable primitive must have at least one case with a float input to differentiate
    from tests.primitives.harness import differentiable_indexes
    checked = {case.primitive for case in all_cases() if differentiable_indexes(case)}
    missing = sorted(name for name, p in REGISTRY.items() if p.differentiable and name not in checked)
    assert not missing, f"differentiable primitives whose gradient is never checked: {missing}"
