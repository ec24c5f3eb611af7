"""ConvNetJS's layer vocabulary: field validation and the desugaring that expands shorthand.

A user writes a list of JSON-able dicts (``{"type": "fc", "num_neurons": 6, "activation": "tanh"}``).
`desugar` checks every field and returns the explicit list the net is built from: ``activation`` becomes
its own layer, ``drop_prob`` appends a dropout layer, softmax/svm/regression get an fc inserted before
them, and fc/conv followed by relu start with bias 0.1 unless ``bias_pref`` is given, exactly as
ConvNetJS's ``Net.makeLayers`` does. Each desugared dict carries every field with its default filled
in and ``source``: the index of the user's layer it came from, which error messages name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.errors import SpecError

LayerDef = dict[str, Any]

LOSS_TYPES = ("softmax", "svm", "regression")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "maxout")
REQUIRED = object()


@dataclass(frozen=True)
class Field:
    """One field of a layer definition: its kind ("int", "float", "choice"), default and bounds."""

    kind: str
    default: Any = REQUIRED
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    exclusive_max: bool = False


_DECAY = {
    "l1_decay_mul": Field("float", 0.0, minimum=0.0),
    "l2_decay_mul": Field("float", 1.0, minimum=0.0),
    "bias_pref": Field("float", None),
}
_SHORTHAND = {
    "activation": Field("choice", None, choices=ACTIVATIONS),
    "drop_prob": Field("float", None, minimum=0.0, maximum=1.0, exclusive_max=True),
    "group_size": Field("int", 2, minimum=1),
    "alpha": Field("float", 0.01, minimum=0.0),
}

FIELDS: dict[str, dict[str, Field]] = {
    "input": {
        "out_sx": Field("int", minimum=1),
        "out_sy": Field("int", minimum=1),
        "out_depth": Field("int", minimum=1),
    },
    "fc": {"num_neurons": Field("int", minimum=1), **_DECAY, **_SHORTHAND},
    "conv": {
        "sx": Field("int", minimum=1),
        "sy": Field("int", None, minimum=1),
        "filters": Field("int", minimum=1),
        "stride": Field("int", 1, minimum=1),
        "pad": Field("int", 0, minimum=0),
        **_DECAY,
        **_SHORTHAND,
    },
    "pool": {
        "sx": Field("int", minimum=1),
        "sy": Field("int", None, minimum=1),
        "stride": Field("int", 2, minimum=1),
        "pad": Field("int", 0, minimum=0),
        "kind": Field("choice", "max", choices=("max", "avg")),
    },
    "relu": {},
    "leaky_relu": {"alpha": Field("float", 0.01, minimum=0.0)},
    "sigmoid": {},
    "tanh": {},
    "maxout": {"group_size": Field("int", 2, minimum=1)},
    "dropout": {
        "drop_prob": Field("float", 0.5, minimum=0.0, maximum=1.0, exclusive_max=True),
        "scaling": Field("choice", "inverted", choices=("inverted", "convnetjs")),
    },
    "batchnorm": {
        "eps": Field("float", 1e-5, minimum=0.0),
        "momentum": Field("float", 0.9, minimum=0.0, maximum=1.0),
    },
    "softmax": {"num_classes": Field("int", minimum=2)},
    "svm": {"num_classes": Field("int", minimum=2)},
    "regression": {"num_neurons": Field("int", minimum=1)},
}


# Written into every definition after the input by ConvNetJS's makeLayers (from the layer before):
# accepted so its definitions load as they are, and ignored as makeLayers ignores them.
INPUT_SIZE_FIELDS = ("in_sx", "in_sy", "in_depth")
INPUT_SIZE_FIELD = Field("int", minimum=1)


def layer_label(index: int, layer_type: str) -> str:
    """How messages name a layer: ``layer 2 (conv)``."""
    return f"layer {index} ({layer_type})"


def _check_number(value: Any, field: Field, where: str, name: str, path: tuple) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: {name} must be a number, got {value!r}", path)
    if not math.isfinite(value):
        raise SpecError(f"{where}: {name} must be finite, got {value!r}", path)
    if field.kind == "int":
        if value != int(value):
            raise SpecError(f"{where}: {name} must be an integer, got {value!r}", path)
        value = int(value)
    else:
        value = float(value)
    if field.minimum is not None and value < field.minimum:
        raise SpecError(f"{where}: {name} must be >= {field.minimum:g}, got {value:g}", path)
    if field.maximum is not None:
        too_big = value >= field.maximum if field.exclusive_max else value > field.maximum
        if too_big:
            bound = "<" if field.exclusive_max else "<="
            raise SpecError(f"{where}: {name} must be {bound} {field.maximum:g}, got {value:g}", path)
    return value


def _check_field(value: Any, field: Field, where: str, name: str, path: tuple) -> Any:
    if value is None and field.default is None:
        return None
    if field.kind == "choice":
        if value not in field.choices:
            options = ", ".join(field.choices)
            raise SpecError(f"{where}: {name} must be one of {options}, got {value!r}", path)
        return value
    return _check_number(value, field, where, name, path)


def check_layer(definition: Any, index: int) -> LayerDef:
    """Validate one user layer definition and return it with defaults filled in (no desugaring)."""
    if not isinstance(definition, dict):
        raise SpecError(
            f"layer {index}: must be an object with a 'type', got {definition!r}", ("layers", index)
        )
    if "type" not in definition:
        raise SpecError(f"layer {index}: missing field 'type'", ("layers", index, "type"))
    layer_type = definition["type"]
    # A non-string type (a list, say) must get this message, not a TypeError from the dict lookup.
    if not isinstance(layer_type, str) or layer_type not in FIELDS:
        known = ", ".join(FIELDS)
        raise SpecError(
            f"layer {index}: unknown type {layer_type!r} (known: {known})", ("layers", index, "type")
        )
    where = layer_label(index, layer_type)
    fields = FIELDS[layer_type]
    checked: LayerDef = {"type": layer_type}
    for name in definition:
        if name in INPUT_SIZE_FIELDS and layer_type != "input":
            _check_number(definition[name], INPUT_SIZE_FIELD, where, name, ("layers", index, name))
            continue  # ConvNetJS's makeLayers writes them; the input's shape decides, as it does there
        if name != "type" and name not in fields:
            raise SpecError(f"{where}: unknown field {name!r}", ("layers", index, name))
    for name, field in fields.items():
        path = ("layers", index, name)
        if name not in definition:
            if field.default is REQUIRED:
                raise SpecError(f"{where}: missing field {name!r}", path)
            checked[name] = field.default
        else:
            checked[name] = _check_field(definition[name], field, where, name, path)
    if "sy" in fields and checked["sy"] is None:
        checked["sy"] = checked["sx"]
    return checked


def _check_order(checked: list[LayerDef]) -> None:
    if not checked:
        raise SpecError("layers: the list is empty; it needs an input layer and a loss layer", ("layers",))
    if checked[0]["type"] != "input":
        raise SpecError(
            f"{layer_label(0, checked[0]['type'])}: the first layer must be input", ("layers", 0, "type")
        )
    last = len(checked) - 1
    if checked[last]["type"] not in LOSS_TYPES:
        raise SpecError(
            f"{layer_label(last, checked[last]['type'])}: the last layer must be softmax, svm or regression",
            ("layers", last, "type"),
        )
    if last == 0:
        raise SpecError("layers: a net needs a loss layer after the input", ("layers",))
    for index, layer in enumerate(checked[1:-1], start=1):
        if layer["type"] == "input":
            raise SpecError(
                f"{layer_label(index, 'input')}: only the first layer may be input", ("layers", index, "type")
            )
        if layer["type"] in LOSS_TYPES:
            raise SpecError(
                f"{layer_label(index, layer['type'])}: a loss layer must be the last layer",
                ("layers", index, "type"),
            )


def _expand(layer: LayerDef, index: int) -> list[LayerDef]:
    """ConvNetJS's makeLayers rules for one checked layer."""
    layer_type = layer["type"]
    expanded: list[LayerDef] = []
    if layer_type in ("softmax", "svm"):
        expanded.append({"type": "fc", "num_neurons": layer["num_classes"], **_default_decay()})
    if layer_type == "regression":
        expanded.append({"type": "fc", "num_neurons": layer["num_neurons"], **_default_decay()})
    if layer_type not in ("fc", "conv"):
        # Only fc and conv carry shorthand: a standalone maxout, leaky_relu or dropout keeps its own
        # group_size, alpha or drop_prob and expands to nothing more.
        expanded.append(dict(layer))
    else:
        expanded.extend(_expand_shorthand(layer))
    for item in expanded:
        item["source"] = index
    return expanded


def _expand_shorthand(layer: LayerDef) -> list[LayerDef]:
    """An fc or conv layer, then its activation layer and its dropout layer if it asks for them."""
    core = {key: value for key, value in layer.items() if key not in _SHORTHAND}
    activation = layer["activation"]
    if core["bias_pref"] is None:
        core["bias_pref"] = 0.1 if activation == "relu" else 0.0
    expanded = [core]
    if activation == "maxout":
        expanded.append({"type": "maxout", "group_size": layer["group_size"]})
    elif activation == "leaky_relu":
        expanded.append({"type": "leaky_relu", "alpha": layer["alpha"]})
    elif activation is not None:
        expanded.append({"type": activation})
    if layer["drop_prob"] is not None:
        expanded.append({"type": "dropout", "drop_prob": layer["drop_prob"], "scaling": "inverted"})
    return expanded


def _default_decay() -> LayerDef:
    return {"l1_decay_mul": 0.0, "l2_decay_mul": 1.0, "bias_pref": 0.0}


def desugar(layer_defs: Any) -> list[LayerDef]:
    """Check a user's layer list and expand its shorthand into explicit layers (see module docstring)."""
    if not isinstance(layer_defs, list | tuple):
        raise SpecError(
            f"layers: must be a list of layer definitions, got {type(layer_defs).__name__}", ("layers",)
        )
    checked = [check_layer(definition, index) for index, definition in enumerate(layer_defs)]
    _check_order(checked)
    explicit: list[LayerDef] = []
    for index, layer in enumerate(checked):
        explicit.extend(_expand(layer, index))
    return explicit
