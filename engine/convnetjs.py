"""ConvNetJS's saved nets (``net.toJSON()``), read into netplay nets and written back.

The two formats differ in three mechanical ways:

- ConvNetJS stores every layer spelled out, the fc before its loss layer included; netplay's loss
  layer implies that fc. Reading folds the fc into the loss layer (writing spells it out again).
- ConvNetJS keeps a volume's values in (y, x, depth) order and each fc neuron's or conv filter's
  weights as a volume of its own; netplay keeps (depth, y, x) (NCHW) and one weight matrix per layer:
  fc ``w`` (inputs, neurons), conv ``w`` (filters, depth, sy, sx).
- ConvNetJS records no input sizes for conv and pool (they follow from the layer before) and saves a
  ``Float64Array`` as an object ``{"0": v0, "1": v1, ...}``; a plain list is read too.

Layers: input, fc, conv, pool (max), relu, sigmoid, tanh, maxout, dropout, softmax, svm, regression.
ConvNetJS's lrn and quadtransform have no netplay counterpart and are refused by name. A read dropout
keeps ConvNetJS's arithmetic (``"scaling": "convnetjs"``: outputs times ``drop_prob`` at inference), so
an imported net computes what ConvNetJS computes; the notes say so. Writing refuses what ConvNetJS cannot
compute (leaky_relu, batchnorm, average pooling) and leaves out a netplay dropout (the identity at
inference, so the written net computes the same outputs; ConvNetJS would scale them by drop_prob).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.errors import SpecError
from engine.layers import Layer
from engine.net import Net
from engine.serialization import net_to_json

SHAPE_ONLY = ("relu", "sigmoid", "tanh")
LOSSES = ("softmax", "svm", "regression")
KNOWN = ("input", "fc", "conv", "pool", "maxout", "dropout", *SHAPE_ONLY, *LOSSES)
UNSUPPORTED = {
    "lrn": "local response normalisation has no netplay layer",
    "quadtransform": "the quadratic transform has no netplay layer",
}
DROPOUT_NOTE = (
    'dropout layers keep ConvNetJS\'s arithmetic (scaling "convnetjs": no scaling while training, '
    "outputs times drop_prob at inference); netplay's own dropout scales while training instead"
)

Shape = tuple[int, int, int]  # (depth, sy, sx)


def is_convnetjs(obj: Any) -> bool:
    """Whether `obj` looks like ConvNetJS's ``net.toJSON()`` (layers that carry ``layer_type``)."""
    layers = obj.get("layers") if isinstance(obj, dict) else None
    return (
        isinstance(layers, list)
        and bool(layers)
        and isinstance(layers[0], dict)
        and "layer_type" in layers[0]
    )


def from_convnetjs(obj: Any, dtype: str = "float64") -> tuple[dict[str, Any], list[str]]:
    """A ConvNetJS ``toJSON()`` object as a netplay.net model (see engine.serialization) with weights of
    `dtype`, and notes on where netplay computes it differently from its own layers. SpecError (paths
    under ``layers``) when it cannot be read."""
    records = _records(obj)
    defs, weights, notes = _definitions(records)
    net = Net(defs, dtype=dtype)
    weighted = [layer for layer in net.layers if "w" in layer.params]
    for layer, (index, w, b) in zip(weighted, weights, strict=True):
        _assign(layer, index, w, b)
    model = net_to_json(net)
    model["imported"] = {"from": "convnetjs", "notes": notes}
    return model, notes


def to_convnetjs(net: Net) -> tuple[dict[str, Any], list[str]]:
    """`net` as ConvNetJS's ``toJSON()`` object (``Net.fromJSON`` loads it), and notes on what changed.
    SpecError naming the layer when ConvNetJS has no way to compute it."""
    layers: list[dict[str, Any]] = []
    notes: list[str] = []
    for index, layer in enumerate(net.layers):
        if layer.type in LOSSES:  # written with the fc its definition implies, as ConvNetJS spells it
            implied = net.layers[index - 1]
            layers.append(_fc_record(implied, implied.in_shape))
        elif layer.type == "fc" and _implied_by_loss(net.layers, index):
            continue
        record = _record(layer, notes)
        if record is not None:
            layers.append(record)
    return {"layers": layers}, notes


# ---- reading ----


def _records(obj: Any) -> list[dict[str, Any]]:
    if not isinstance(obj, dict) or not isinstance(obj.get("layers"), list) or not obj["layers"]:
        raise SpecError("layers: a ConvNetJS net has a non-empty list of layers", ("layers",))
    for index, record in enumerate(obj["layers"]):
        if not isinstance(record, dict):
            raise SpecError(f"layer {index}: must be an object", ("layers", index))
        kind = record.get("layer_type")
        if kind in UNSUPPORTED:
            raise SpecError(f"layer {index} ({kind}): {UNSUPPORTED[kind]}", ("layers", index, "layer_type"))
        if kind not in KNOWN:
            raise SpecError(
                f"layer {index}: unknown layer_type {kind!r} (known: {', '.join(KNOWN)})",
                ("layers", index, "layer_type"),
            )
    return obj["layers"]


def _definitions(
    records: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[tuple[int, np.ndarray, np.ndarray]], list[str]]:
    """netplay layer definitions, each weighted layer's (record index, w, b) in netplay's layout, and
    the notes."""
    if records[0]["layer_type"] != "input":
        raise SpecError("layer 0: the first layer must be input", ("layers", 0, "layer_type"))
    shape: Shape = (
        _int(records[0], "out_depth", 0),
        _int(records[0], "out_sy", 0),
        _int(records[0], "out_sx", 0),
    )
    defs: list[dict[str, Any]] = [
        {"type": "input", "out_sx": shape[2], "out_sy": shape[1], "out_depth": shape[0]}
    ]
    weights: list[tuple[int, np.ndarray, np.ndarray]] = []
    notes: list[str] = []
    for index, record in enumerate(records[1:], start=1):
        kind = record["layer_type"]
        following = records[index + 1]["layer_type"] if index + 1 < len(records) else None
        if kind == "fc":
            w, b = _fc_weights(record, index, shape)
            weights.append((index, w, b))
            shape = (w.shape[1], 1, 1)
            if following in LOSSES:
                continue  # the loss layer's own fc
            defs.append({"type": "fc", "num_neurons": w.shape[1], **_decay(record)})
        elif kind == "conv":
            definition, w, b = _conv(record, index, shape)
            weights.append((index, w, b))
            defs.append(definition)
            shape = (w.shape[0], *_window_out(definition, shape))
        elif kind == "pool":
            definition = _window(record, index)
            defs.append({**definition, "kind": "max"})
            shape = (shape[0], *_window_out(definition, shape))
        elif kind == "maxout":
            group = _int(record, "group_size", index)
            _activation(defs, {"type": "maxout", "group_size": group})
            shape = (shape[0] // group, shape[1], shape[2])
        elif kind == "dropout":
            defs.append(
                {"type": "dropout", "drop_prob": _number(record, "drop_prob", index), "scaling": "convnetjs"}
            )
            if DROPOUT_NOTE not in notes:
                notes.append(DROPOUT_NOTE)
        elif kind in SHAPE_ONLY:
            _activation(defs, {"type": kind})
        elif kind == "input":
            raise SpecError(f"layer {index} (input): only the first layer may be input", ("layers", index))
        else:  # a loss layer
            defs.append(_loss(kind, records[index - 1], index, shape))
    return defs, weights, notes


def _activation(defs: list[dict[str, Any]], layer: dict[str, Any]) -> None:
    """An activation layer, written as its fc or conv layer's ``activation`` when it follows one (as
    the definitions given to ConvNetJS's makeLayers read), else as a layer of its own."""
    before = defs[-1]
    if before["type"] in ("fc", "conv") and "activation" not in before:
        before["activation"] = layer["type"]
        before.update({key: value for key, value in layer.items() if key != "type"})
    else:
        defs.append(layer)


def _loss(kind: str, before: dict[str, Any], index: int, shape: Shape) -> dict[str, Any]:
    if before["layer_type"] != "fc":
        raise SpecError(
            f"layer {index} ({kind}): netplay needs an fc layer right before a loss layer, "
            f"found {before['layer_type']}",
            ("layers", index),
        )
    size = shape[0]
    return (
        {"type": "regression", "num_neurons": size}
        if kind == "regression"
        else {"type": kind, "num_classes": size}
    )


def _fc_weights(record: dict[str, Any], index: int, shape: Shape) -> tuple[np.ndarray, np.ndarray]:
    """fc w: (inputs, neurons) with inputs in netplay's (depth, y, x) order, b: (neurons,)"""
    depth, sy, sx = shape
    filters = _filters(record, index)
    size = (1, 1, depth * sy * sx)  # a neuron's weights: a 1x1 volume in the input's (y, x, depth) order
    columns = [_volume(item, ("layers", index, "filters", n), size) for n, item in enumerate(filters)]
    w = np.stack([column.reshape(sy, sx, depth).transpose(2, 0, 1).reshape(-1) for column in columns], axis=1)
    b = _volume(record.get("biases"), ("layers", index, "biases"), (1, 1, len(filters))).reshape(-1)
    return w, b


def _conv(record: dict[str, Any], index: int, shape: Shape) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """The conv definition, w: (filters, depth, sy, sx), b: (filters,)"""
    definition = _window(record, index)
    filters = _filters(record, index)
    size = (definition["sx"], definition["sy"], shape[0])
    volumes = [_volume(item, ("layers", index, "filters", n), size) for n, item in enumerate(filters)]
    w = np.stack([volume.transpose(2, 0, 1) for volume in volumes])
    b = _volume(record.get("biases"), ("layers", index, "biases"), (1, 1, len(filters))).reshape(-1)
    conv = {"type": "conv", **definition, "filters": len(filters), **_decay(record)}
    return conv, w, b


def _window(record: dict[str, Any], index: int) -> dict[str, Any]:
    kind = record["layer_type"]
    sx = _int(record, "sx", index)
    return {
        "type": kind,
        "sx": sx,
        "sy": _int(record, "sy", index) if "sy" in record else sx,
        "stride": _int(record, "stride", index) if "stride" in record else (1 if kind == "conv" else 2),
        "pad": _int(record, "pad", index, minimum=0) if "pad" in record else 0,
    }


def _window_out(definition: dict[str, Any], shape: Shape) -> tuple[int, int]:
    pad, stride = definition["pad"], definition["stride"]
    return (
        (shape[1] + 2 * pad - definition["sy"]) // stride + 1,
        (shape[2] + 2 * pad - definition["sx"]) // stride + 1,
    )


def _decay(record: dict[str, Any]) -> dict[str, float]:
    """ConvNetJS's decay multipliers (its fromJSON defaults both to 1)."""
    return {
        name: float(record[name]) if isinstance(record.get(name), int | float) else 1.0
        for name in ("l1_decay_mul", "l2_decay_mul")
    }


def _filters(record: dict[str, Any], index: int) -> list[Any]:
    filters = record.get("filters")
    if not isinstance(filters, list) or not filters:
        raise SpecError(
            f"layer {index} ({record['layer_type']}): filters must be a non-empty list",
            ("layers", index, "filters"),
        )
    return filters


def _volume(obj: Any, path: tuple[Any, ...], size: tuple[int, int, int]) -> np.ndarray:
    """A ConvNetJS Vol of (sx, sy, depth) `size` as an array (sy, sx, depth)."""
    sx, sy, depth = size
    where = ".".join(str(part) for part in path)
    if not isinstance(obj, dict) or "w" not in obj:
        raise SpecError(f"{where}: must be a volume object with w", path)
    given = tuple(obj.get(key) for key in ("sx", "sy", "depth"))
    if given != (sx, sy, depth):
        raise SpecError(
            f"{where}: is {given[0]}x{given[1]}x{given[2]}, the net needs {sx}x{sy}x{depth}", path
        )
    values = obj["w"]
    count = sx * sy * depth
    if isinstance(values, dict):  # a Float64Array saved by JSON.stringify
        try:
            values = [values[str(i)] for i in range(count)]
        except KeyError as error:
            raise SpecError(f"{where}.w: has no value {error.args[0]} of {count}", (*path, "w")) from None
    if not isinstance(values, list) or len(values) != count:
        raise SpecError(f"{where}.w: must hold {count} values", (*path, "w"))
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
        raise SpecError(f"{where}.w: must hold numbers only", (*path, "w"))
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise SpecError(f"{where}.w: holds NaN or infinite values", (*path, "w"))
    return array.reshape(sy, sx, depth)


def _assign(layer: Layer, index: int, w: np.ndarray, b: np.ndarray) -> None:
    if layer.params["w"].shape != w.shape:
        raise SpecError(
            f"layer {index} ({layer.type}): weights are {list(w.shape)}, the net needs "
            f"{list(layer.params['w'].shape)}",
            ("layers", index),
        )
    layer.params["w"][...] = w
    layer.params["b"][...] = b


def _int(record: dict[str, Any], name: str, index: int, minimum: int = 1) -> int:
    value = record.get(name)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != int(value)
        or value < minimum
    ):
        raise SpecError(
            f"layer {index} ({record.get('layer_type')}): {name} must be an integer >= {minimum}, "
            f"got {value!r}",
            ("layers", index, name),
        )
    return int(value)


def _number(record: dict[str, Any], name: str, index: int) -> float:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise SpecError(
            f"layer {index} ({record['layer_type']}): {name} must be a number in [0, 1), got {value!r}",
            ("layers", index, name),
        )
    return float(value)


# ---- writing ----


def _implied_by_loss(layers: list[Layer], index: int) -> bool:
    """Whether the fc at `index` is the one the next layer, a loss layer, implies (same user layer)."""
    following = layers[index + 1] if index + 1 < len(layers) else None
    return (
        following is not None
        and following.type in LOSSES
        and following.definition["source"] == layers[index].definition["source"]
    )


def _record(layer: Layer, notes: list[str]) -> dict[str, Any] | None:
    """ConvNetJS's record of one netplay layer (None: left out, with a note)."""
    depth, sy, sx = layer.out_shape
    d = layer.definition
    base = {"out_depth": depth, "out_sx": sx, "out_sy": sy, "layer_type": layer.type}
    where = f"layer {d['source']} ({layer.type})"
    if layer.type == "input" or layer.type in SHAPE_ONLY:
        return base
    if layer.type in LOSSES:
        return {**base, "num_inputs": layer.in_shape[0]}
    if layer.type == "fc":
        return _fc_record(layer, layer.in_shape)
    if layer.type == "maxout":
        return {**base, "group_size": d["group_size"]}
    if layer.type == "dropout":
        if d["scaling"] == "convnetjs":
            return {**base, "drop_prob": d["drop_prob"]}
        notes.append(
            f"{where}: left out; netplay's dropout is the identity at inference, where ConvNetJS's "
            "would scale outputs by drop_prob, so the written net computes the same outputs"
        )
        return None
    if layer.type == "pool" and d["kind"] == "max":
        window = {key: d[key] for key in ("sx", "sy", "stride", "pad")}
        return {**window, "in_depth": layer.in_shape[0], **base}
    if layer.type == "conv":
        return {**_conv_record(layer), **base}
    what = "average pooling" if layer.type == "pool" else f"{layer.type} layer"
    raise SpecError(
        f"{where}: ConvNetJS has no {what}, so this net cannot be written for it", ("layers", d["source"])
    )


def _fc_record(layer: Layer, in_shape: Shape) -> dict[str, Any]:
    depth, sy, sx = in_shape
    w, b = layer.params["w"], layer.params["b"]
    neurons = w.shape[1]
    filters = [
        _volume_json(w[:, n].reshape(depth, sy, sx).transpose(1, 2, 0), 1, 1, depth * sy * sx)
        for n in range(neurons)
    ]
    return {
        "out_depth": neurons,
        "out_sx": 1,
        "out_sy": 1,
        "layer_type": "fc",
        "num_inputs": depth * sy * sx,
        "l1_decay_mul": layer.definition["l1_decay_mul"],
        "l2_decay_mul": layer.definition["l2_decay_mul"],
        "filters": filters,
        "biases": _volume_json(b, 1, 1, neurons),
    }


def _conv_record(layer: Layer) -> dict[str, Any]:
    d = layer.definition
    w, b = layer.params["w"], layer.params["b"]
    return {
        "sx": d["sx"],
        "sy": d["sy"],
        "stride": d["stride"],
        "in_depth": layer.in_shape[0],
        "l1_decay_mul": d["l1_decay_mul"],
        "l2_decay_mul": d["l2_decay_mul"],
        "pad": d["pad"],
        "filters": [
            _volume_json(kernel.transpose(1, 2, 0), d["sx"], d["sy"], kernel.shape[0]) for kernel in w
        ],
        "biases": _volume_json(b, 1, 1, b.shape[0]),
    }


def _volume_json(values: np.ndarray, sx: int, sy: int, depth: int) -> dict[str, Any]:
    """A ConvNetJS Vol as its toJSON writes it (w as {"0": v0, ...}); `values` in (y, x, depth) order."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    return {"sx": sx, "sy": sy, "depth": depth, "w": {str(i): float(value) for i, value in enumerate(flat)}}
