"""kerasette.serialization: the name/config registry every ``get`` shares, tested on its own."""
import pytest

from kerasette import initializers, losses, serialization
from kerasette.serialization import Configurable, Keras3Registry, ObjectRegistry


class Shape(Configurable):
    def __init__(self, size=1):
        self.size = size

    def get_config(self):
        return {"size": self.size}

    def __call__(self):
        return self.size


class Box(Shape):
    pass


class Ball(Shape):
    pass


class Custom(Shape):
    pass


def area(x):
    return x * x


@pytest.fixture
def shapes():
    return ObjectRegistry("shape", Shape, {"Box": Box, "box": Box, "Ball": Ball})


@pytest.fixture
def extra_lookups(monkeypatch):
    hooks = []
    monkeypatch.setattr(serialization.registry, "EXTRA_LOOKUPS", hooks)
    return hooks


# ------------------------------------------------------------------- names

def test_lookup_prefers_custom_objects_then_the_table(shapes):
    assert shapes.lookup("box") is Box
    assert shapes.lookup("box", {"box": Ball}) is Ball
    assert shapes.lookup("Ball", {"other": Box}) is Ball


def test_unknown_name_error_lists_the_known_names(shapes):
    with pytest.raises(ValueError) as caught:
        shapes.lookup("cube")
    assert str(caught.value) == "Unknown shape 'cube'; known: Ball, Box, box"


def test_unknown_error_text_can_be_replaced():
    registry = ObjectRegistry("shape", Shape, {"b": Box, "a": Ball},
                              unknown_error="No {kind} called {name!r} (try {known_list})")
    with pytest.raises(ValueError, match=r"^No shape called 'cube' \(try \['a', 'b'\]\)$"):
        registry.lookup("cube")


def test_find_is_the_place_for_other_spellings():
    class CaseFree(ObjectRegistry):
        def find(self, name):
            return self.objects_by_name.get(name.split(">")[-1].lower())

    registry = CaseFree("shape", Shape, {"box": Box})
    assert registry.lookup("Custom>BOX") is Box
    assert registry.get({"class_name": "Box", "config": {"size": 2}}).size == 2


def test_the_table_is_shared_not_copied(shapes):
    shapes.objects_by_name["cube"] = Custom
    assert shapes.lookup("cube") is Custom


# ---------------------------------------------------------- extra lookups

def test_extra_lookups_find_only_names_nothing_else_knows(shapes, extra_lookups):
    extra_lookups.append(lambda name: {"cube": Custom, "box": Ball}.get(name))
    assert shapes.lookup("cube") is Custom
    assert shapes.lookup("box") is Box               # the table wins over the hook
    assert shapes.lookup("box", {"box": Custom}) is Custom
    with pytest.raises(ValueError, match="Unknown shape 'sphere'"):
        shapes.lookup("sphere")


def test_extra_lookups_are_offered_the_registered_name_first(shapes, extra_lookups):
    asked = []

    def hook(name):
        asked.append(name)
        return Custom if name == "pkg>Cube" else None

    extra_lookups.append(hook)
    found = shapes.deserialize({"class_name": "Cube", "registered_name": "pkg>Cube",
                                "config": {"size": 4}})
    assert type(found) is Custom and found.size == 4
    assert asked == ["pkg>Cube"]


def test_extra_lookups_reach_the_library_modules(extra_lookups):
    extra_lookups.append(lambda name: {"FancyInit": initializers.Ones,
                                       "my_loss": area}.get(name))
    assert isinstance(initializers.get("FancyInit"), initializers.Ones)
    assert isinstance(initializers.deserialize({"class_name": "FancyInit", "config": {}}),
                      initializers.Ones)
    assert losses.get("my_loss") is area
    assert losses.deserialize({"class_name": "function", "config": "my_loss"}) is area


# ----------------------------------------------------------------- configs

def test_serialize_keras2_form_and_refusals(shapes):
    assert shapes.serialize(Box(3)) == {"class_name": "Box", "config": {"size": 3}}
    assert shapes.serialize(None) is None
    with pytest.raises(ValueError, match=r"^Cannot serialize 3: it is not a Shape$"):
        shapes.serialize(3)

    class Initializer:
        pass

    registry = ObjectRegistry("initializer", Initializer, {})
    with pytest.raises(ValueError, match="it is not an Initializer"):
        registry.serialize("glorot")


def test_deserialize_keras2_and_keras3_dicts(shapes):
    assert shapes.deserialize({"class_name": "Box", "config": {"size": 5}}).size == 5
    keras3 = {"module": "shapes", "class_name": "Ball", "config": None, "registered_name": None}
    found = shapes.deserialize(keras3)
    assert type(found) is Ball and found.size == 1


def test_deserialize_hands_from_config_a_copy(shapes):
    class Greedy(Shape):
        @classmethod
        def from_config(cls, config):
            size = config.pop("size")
            return cls(size)

    config = {"class_name": "Greedy", "config": {"size": 2}}
    assert shapes.deserialize(config, {"Greedy": Greedy}).size == 2
    assert config["config"] == {"size": 2}


def test_keras2_registry_looks_up_class_name_before_registered_name(shapes):
    config = {"class_name": "Cube", "registered_name": "pkg>Cube", "config": {}}
    assert type(shapes.deserialize(config, {"Cube": Box, "pkg>Cube": Ball})) is Box
    assert type(shapes.deserialize(config, {"pkg>Cube": Ball})) is Ball
    with pytest.raises(ValueError, match="Unknown shape 'Cube'"):
        shapes.deserialize(config)


def test_get_accepts_every_identifier_form(shapes):
    box = Box(2)
    assert shapes.get(None) is None
    assert shapes.get(box) is box
    fresh = [shapes.get("box"), shapes.get("box")]
    assert all(type(item) is Box for item in fresh) and fresh[0] is not fresh[1]
    assert shapes.get({"class_name": "Ball", "config": {"size": 7}}).size == 7
    assert type(shapes.get(Custom)) is Custom
    assert shapes.get(area) is area
    with pytest.raises(ValueError, match=r"^Cannot interpret shape identifier 3$"):
        shapes.get(3)


def test_interpret_error_text_can_be_replaced():
    registry = ObjectRegistry("shape", Shape, {},
                              interpret_error="Could not interpret {kind} identifier: {identifier!r}")
    with pytest.raises(ValueError, match=r"^Could not interpret shape identifier: \[1\]$"):
        registry.get([1])


# ------------------------------------------------------------- Keras 3 form

@pytest.fixture
def shapes3():
    return Keras3Registry("shape", Shape, {"Box": Box, "Ball": Ball, "area": area}, "keras.shapes")


def test_keras3_serialize_builtins_custom_classes_and_functions(shapes3):
    assert shapes3.serialize(Box(2)) == {"module": "keras.shapes", "class_name": "Box",
                                         "config": {"size": 2}, "registered_name": None}
    assert shapes3.serialize(Custom()) == {"module": __name__, "class_name": "Custom",
                                           "config": {"size": 1}, "registered_name": "Custom"}
    assert shapes3.serialize(area) == {"module": "keras.shapes", "class_name": "function",
                                       "config": "area", "registered_name": "area"}
    assert shapes3.serialize(None) is None


def test_keras3_serialize_refusals(shapes3):
    class Unnamed:
        def __call__(self):
            return 0

    with pytest.raises(ValueError, match="it is neither a Shape nor a named function"):
        shapes3.serialize(Unnamed())
    with pytest.raises(ValueError, match=r"^Cannot serialize 3: it is not a shape$"):
        shapes3.serialize(3)


def test_keras3_function_module_is_a_hook():
    class Split(Keras3Registry):
        def function_module(self, fn):
            return "elsewhere"

    assert Split("shape", Shape, {}, "keras.shapes").serialize(area)["module"] == "elsewhere"


def test_keras3_deserialize_every_form(shapes3):
    assert shapes3.deserialize(None) is None
    assert shapes3.deserialize("area") is area
    assert shapes3.deserialize("Box") is Box          # a name gives the object itself
    assert shapes3.deserialize(shapes3.serialize(area)) is area
    assert shapes3.deserialize({"class_name": "function", "config": "mine"},
                               {"mine": len}) is len
    # Keras 2 wrote functions under their own name as class_name
    assert shapes3.deserialize({"class_name": "area", "config": {}}) is area
    rebuilt = shapes3.deserialize(shapes3.serialize(Ball(3)))
    assert type(rebuilt) is Ball and rebuilt.size == 3
    with pytest.raises(ValueError, match=r"^Cannot deserialize a shape from \[1\]$"):
        shapes3.deserialize([1])
    with pytest.raises(ValueError, match="Cannot deserialize a shape from"):
        shapes3.deserialize({"config": {}})


def test_keras3_registry_looks_up_registered_name_first(shapes3):
    config = {"class_name": "Cube", "registered_name": "pkg>Cube", "config": {}}
    assert type(shapes3.deserialize(config, {"Cube": Box, "pkg>Cube": Ball})) is Ball
    assert type(shapes3.deserialize(config, {"Cube": Box})) is Box


def test_keras3_resolve_function_is_a_hook(shapes3):
    class Renamed(Keras3Registry):
        def resolve_function(self, name, config, custom_objects=None):
            return super().resolve_function(name.removeprefix("old_"), config, custom_objects)

    registry = Renamed("shape", Shape, {"area": area}, "keras.shapes")
    assert registry.deserialize({"class_name": "function", "config": "old_area"}) is area


def test_keras3_get_gives_functions_for_function_names_and_instances_for_classes(shapes3):
    assert shapes3.get("area") is area
    assert type(shapes3.get("Box")) is Box
    assert type(shapes3.get({"class_name": "function", "config": "Ball"})) is Ball
    with pytest.raises(ValueError, match=r"^Could not interpret shape identifier: 3$"):
        shapes3.get(3)


# ------------------------------------------------------------- Configurable

def test_configurable_round_trip_and_repr():
    box = Box.from_config({"size": 4})
    assert type(box) is Box and box.size == 4
    assert repr(box) == "Box(size=4)"

    class Abstract(Configurable):
        def get_config(self):
            raise NotImplementedError

    assert repr(Abstract()) == "Abstract()"
    assert repr(Configurable()) == "Configurable()"
