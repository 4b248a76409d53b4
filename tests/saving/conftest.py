"""Fixtures the saving tests share."""
import pytest

from kerasette import backend


@pytest.fixture
def fresh_names():
    """Layer names start again (``dense``, ``dense_1``...) for each test that asks."""
    backend.clear_session()
    yield


@pytest.fixture
def registry():
    """What a test registers is forgotten after it (the registry is global)."""
    from kerasette.saving import object_registration
    objects, names = dict(object_registration._GLOBAL_CUSTOM_OBJECTS), dict(object_registration._GLOBAL_CUSTOM_NAMES)
    yield
    object_registration._GLOBAL_CUSTOM_OBJECTS.clear()
    object_registration._GLOBAL_CUSTOM_OBJECTS.update(objects)
    object_registration._GLOBAL_CUSTOM_NAMES.clear()
    object_registration._GLOBAL_CUSTOM_NAMES.update(names)
