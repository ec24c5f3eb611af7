"""Layer definitions: ConvNetJS's parameter counts, the desugaring rules, and every rejection message."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from engine import Net, SpecError, desugar
from engine.demo_nets import CIFAR10_LAYERS as CIFAR10
from engine.demo_nets import CLASSIFY2D_LAYERS as CLASSIFY2D
from engine.demo_nets import MNIST_LAYERS as MNIST
from engine.errors import format_path

INPUT2 = {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}
SOFTMAX2 = {"type": "softmax", "num_classes": 2}


@pytest.mark.parametrize(
    ("defs", "count"),
    [pytest.param(MNIST, 5994, id="mnist"), pytest.param(CIFAR10, 22466, id="cifar10"),
     pytest.param(CLASSIFY2D, 38, id="classify2d")],
)  # fmt: skip
def test_parameter_counts_match_convnetjs_demos(defs: list[dict[str, Any]], count: int) -> None:
    net = Net(defs)
    assert net.num_parameters == count
    assert sum(row["num_params"] for row in net.describe()) == count
    assert sum(value.size for value, _ in net.parameters()) == count


def test_mnist_demo_net_shapes_follow_convnetjs() -> None:
    rows = Net(MNIST).describe()
    shapes = [(row["type"], row["out_sx"], row["out_sy"], row["out_depth"]) for row in rows]
    assert shapes == [
        ("input", 24, 24, 1),
        ("conv", 24, 24, 8),
        ("relu", 24, 24, 8),
        ("pool", 12, 12, 8),
        ("conv", 12, 12, 16),
        ("relu", 12, 12, 16),
        ("pool", 4, 4, 16),
        ("fc", 1, 1, 10),
        ("softmax", 1, 1, 10),
    ]
    assert [row["source"] for row in rows] == [0, 1, 1, 2, 3, 3, 4, 5, 5]


def test_activation_appends_its_own_layer() -> None:
    types = [layer["type"] for layer in desugar(CLASSIFY2D)]
    assert types == ["input", "fc", "tanh", "fc", "tanh", "fc", "softmax"]


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "maxout", "leaky_relu"])
def test_each_activation_becomes_the_layer_of_that_type(activation: str) -> None:
    layers = desugar([INPUT2, {"type": "fc", "num_neurons": 4, "activation": activation}, SOFTMAX2])
    assert layers[2]["type"] == activation
    assert layers[2]["source"] == 1
    assert "activation" not in layers[1]


def test_shorthand_options_reach_the_appended_layers() -> None:
    layers = desugar(
        [
            INPUT2,
            {"type": "fc", "num_neurons": 6, "activation": "maxout", "group_size": 3},
            {"type": "fc", "num_neurons": 4, "activation": "leaky_relu", "alpha": 0.3},
            SOFTMAX2,
        ]
    )
    assert layers[2] == {"type": "maxout", "group_size": 3, "source": 1}
    assert layers[4] == {"type": "leaky_relu", "alpha": 0.3, "source": 2}
    assert Net([INPUT2, {"type": "fc", "num_neurons": 6, "activation": "maxout", "group_size": 3},
                SOFTMAX2]).layers[2].out_shape == (2, 1, 1)  # fmt: skip


def test_standalone_layers_keep_their_own_options() -> None:
    layers = desugar(
        [
            INPUT2,
            {"type": "fc", "num_neurons": 6},
            {"type": "maxout", "group_size": 3},
            {"type": "leaky_relu", "alpha": 0.2},
            {"type": "dropout", "drop_prob": 0.25},
            SOFTMAX2,
        ]
    )
    assert layers[2]["group_size"] == 3
    assert layers[3]["alpha"] == 0.2
    assert layers[4]["drop_prob"] == 0.25
    net = Net([INPUT2, {"type": "leaky_relu", "alpha": 0.5}, SOFTMAX2], dtype=np.float64)
    np.testing.assert_array_equal(net.layer_output(np.array([[-2.0, 3.0]]), 1), [[-1.0, 3.0]])


def test_standalone_layers_expand_to_exactly_one_layer() -> None:
    defs = [{"type": "input", "out_sx": 4, "out_sy": 4, "out_depth": 2}, {"type": "dropout"},
            {"type": "maxout"}, {"type": "leaky_relu"}, {"type": "relu"}, {"type": "pool", "sx": 2},
            {"type": "batchnorm"}, SOFTMAX2]  # fmt: skip
    layers = desugar(defs)
    assert [layer["type"] for layer in layers] == [*(layer["type"] for layer in defs[:-1]), "fc", "softmax"]
    assert [layer["source"] for layer in layers] == [0, 1, 2, 3, 4, 5, 6, 7, 7]


def test_drop_prob_appends_dropout_after_the_activation() -> None:
    layers = desugar(
        [INPUT2, {"type": "fc", "num_neurons": 4, "activation": "relu", "drop_prob": 0.3}, SOFTMAX2]
    )
    assert [layer["type"] for layer in layers] == ["input", "fc", "relu", "dropout", "fc", "softmax"]
    assert layers[3] == {"type": "dropout", "drop_prob": 0.3, "scaling": "inverted", "source": 1}


@pytest.mark.parametrize(
    ("loss", "size_field", "size"),
    [("softmax", "num_classes", 4), ("svm", "num_classes", 3), ("regression", "num_neurons", 2)],
)
def test_fc_is_inserted_before_every_loss_layer(loss: str, size_field: str, size: int) -> None:
    layers = desugar([INPUT2, {"type": "fc", "num_neurons": 5}, {"type": loss, size_field: size}])
    assert [layer["type"] for layer in layers] == ["input", "fc", "fc", loss]
    assert layers[2]["num_neurons"] == size
    assert layers[2]["source"] == 2
    assert layers[2]["bias_pref"] == 0.0


@pytest.mark.parametrize("layer_type", ["fc", "conv"])
def test_relu_activated_layers_start_with_bias_one_tenth(layer_type: str) -> None:
    hidden = (
        {"type": "fc", "num_neurons": 4, "activation": "relu"}
        if layer_type == "fc"
        else {"type": "conv", "sx": 3, "filters": 4, "pad": 1, "activation": "relu"}
    )
    net = Net([{"type": "input", "out_sx": 4, "out_sy": 4, "out_depth": 2}, hidden, SOFTMAX2])
    assert net.definitions[1]["bias_pref"] == 0.1
    np.testing.assert_array_equal(net.layers[1].params["b"], np.full(4, 0.1, dtype=np.float32))
    np.testing.assert_array_equal(net.layers[-2].params["b"], np.zeros(2, dtype=np.float32))


def test_given_bias_pref_wins_over_the_relu_default() -> None:
    relu_zero = {"type": "fc", "num_neurons": 3, "activation": "relu", "bias_pref": 0.0}
    tanh_half = {"type": "fc", "num_neurons": 3, "activation": "tanh", "bias_pref": 0.5}
    net = Net([INPUT2, relu_zero, tanh_half, SOFTMAX2])
    np.testing.assert_array_equal(net.layers[1].params["b"], np.zeros(3, dtype=np.float32))
    np.testing.assert_array_equal(net.layers[3].params["b"], np.full(3, 0.5, dtype=np.float32))


def test_non_relu_layers_start_with_zero_bias() -> None:
    net = Net(CLASSIFY2D)
    for _, layer in enumerate(net.layers):
        if layer.type == "fc":
            np.testing.assert_array_equal(layer.params["b"], 0)


def test_defaults_are_filled_in() -> None:
    layers = desugar(
        [{"type": "input", "out_sx": 6, "out_sy": 6, "out_depth": 1}, {"type": "conv", "sx": 3, "filters": 2},
         {"type": "pool", "sx": 2}, {"type": "dropout"}, {"type": "batchnorm"}, SOFTMAX2]
    )  # fmt: skip
    conv, pool, dropout, batchnorm = layers[1:5]
    assert conv == {"type": "conv", "sx": 3, "sy": 3, "filters": 2, "stride": 1, "pad": 0,
                    "l1_decay_mul": 0.0, "l2_decay_mul": 1.0, "bias_pref": 0.0, "source": 1}  # fmt: skip
    assert pool == {"type": "pool", "sx": 2, "sy": 2, "stride": 2, "pad": 0, "kind": "max", "source": 2}
    assert dropout["drop_prob"] == 0.5
    assert batchnorm["eps"] == 1e-5
    assert batchnorm["momentum"] == 0.9


def test_desugar_leaves_the_users_list_untouched() -> None:
    defs = [INPUT2, {"type": "fc", "num_neurons": 4, "activation": "relu", "drop_prob": 0.2}, SOFTMAX2]
    before = [dict(layer) for layer in defs]
    desugar(defs)
    Net(defs)
    assert defs == before


def test_integral_floats_are_accepted_as_integers() -> None:
    layers = desugar([INPUT2, {"type": "fc", "num_neurons": 4.0}, SOFTMAX2])
    assert layers[1]["num_neurons"] == 4
    assert isinstance(layers[1]["num_neurons"], int)


# ---- rejections: one exception type, a message naming the layer, a path naming the field ----


def rejection(defs: Any) -> SpecError:
    with pytest.raises(SpecError) as caught:
        Net(defs)
    assert isinstance(caught.value, ValueError)
    return caught.value


def test_pool_floors_a_window_that_does_not_tile_as_convnetjs_does() -> None:
    defs = [dict(layer) for layer in MNIST]
    defs[0] = {"type": "input", "out_sx": 26, "out_sy": 26, "out_depth": 1}
    net = Net(defs)
    pools = [layer for layer in net.layers if layer.type == "pool"]
    assert [pool.out_shape for pool in pools] == [(8, 13, 13), (16, 4, 4)]  # floor((13 - 3) / 3 + 1)


def test_conv_floors_a_stride_that_does_not_tile_as_convnetjs_does() -> None:
    net = Net([{"type": "input", "out_sx": 6, "out_sy": 6, "out_depth": 1},
               {"type": "conv", "sx": 3, "filters": 2, "stride": 2}, SOFTMAX2])  # fmt: skip
    assert net.layers[1].out_shape == (2, 2, 2)  # floor((6 - 3) / 2 + 1)
    assert net.forward(np.zeros((3, 1, 6, 6), np.float32)).shape == (3, 2)


def test_a_window_larger_than_the_padded_input_is_refused_naming_the_layer() -> None:
    error = rejection([{"type": "input", "out_sx": 6, "out_sy": 6, "out_depth": 1},
                       {"type": "conv", "sx": 9, "filters": 2, "pad": 1}, SOFTMAX2])  # fmt: skip
    assert str(error) == "layer 1 (conv sx=9 stride=1 pad=1): window 9x9 is larger than the padded input 8x8"
    assert error.location == "layers[1]"


def test_conv_rejects_zero_filters() -> None:
    defs = [{"type": "input", "out_sx": 8, "out_sy": 8, "out_depth": 1}, {"type": "pool", "sx": 2},
            {"type": "conv", "sx": 3, "filters": 0}, SOFTMAX2]  # fmt: skip
    error = rejection(defs)
    assert str(error) == "layer 2 (conv): filters must be >= 1, got 0"
    assert error.path == ("layers", 2, "filters")
    assert error.location == "layers[2].filters"


def test_rejects_unknown_layer_type() -> None:
    error = rejection([INPUT2, {"type": "convolution", "sx": 3}, SOFTMAX2])
    assert str(error).startswith("layer 1: unknown type 'convolution' (known: input, fc, conv, pool")
    assert error.location == "layers[1].type"


@pytest.mark.parametrize("bad_type", [["fc"], {"fc": 1}, 3, None])
def test_rejects_non_string_layer_type(bad_type: Any) -> None:
    error = rejection([INPUT2, {"type": bad_type}, SOFTMAX2])
    assert "unknown type" in str(error)
    assert error.location == "layers[1].type"


def test_rejects_layer_without_type() -> None:
    error = rejection([INPUT2, {"num_neurons": 3}, SOFTMAX2])
    assert str(error) == "layer 1: missing field 'type'"
    assert error.location == "layers[1].type"


def test_rejects_missing_required_field() -> None:
    error = rejection([INPUT2, {"type": "fc"}, SOFTMAX2])
    assert str(error) == "layer 1 (fc): missing field 'num_neurons'"
    assert error.location == "layers[1].num_neurons"


def test_rejects_missing_input_size() -> None:
    error = rejection([{"type": "input", "out_sx": 1, "out_sy": 1}, SOFTMAX2])
    assert str(error) == "layer 0 (input): missing field 'out_depth'"
    assert error.location == "layers[0].out_depth"


def test_rejects_first_layer_that_is_not_input() -> None:
    error = rejection([{"type": "fc", "num_neurons": 3}, SOFTMAX2])
    assert str(error) == "layer 0 (fc): the first layer must be input"
    assert error.location == "layers[0].type"


def test_rejects_last_layer_that_is_not_a_loss() -> None:
    error = rejection([INPUT2, {"type": "fc", "num_neurons": 3}])
    assert str(error) == "layer 1 (fc): the last layer must be softmax, svm or regression"
    assert error.location == "layers[1].type"


def test_rejects_input_alone() -> None:
    error = rejection([INPUT2])
    assert "the last layer must be softmax, svm or regression" in str(error)


def test_rejects_second_input_layer() -> None:
    error = rejection([INPUT2, INPUT2, SOFTMAX2])
    assert str(error) == "layer 1 (input): only the first layer may be input"
    assert error.location == "layers[1].type"


def test_rejects_loss_layer_before_the_end() -> None:
    error = rejection([INPUT2, SOFTMAX2, SOFTMAX2])
    assert str(error) == "layer 1 (softmax): a loss layer must be the last layer"
    assert error.location == "layers[1].type"


def test_rejects_empty_layer_list() -> None:
    error = rejection([])
    assert "the list is empty" in str(error)
    assert error.location == "layers"


@pytest.mark.parametrize("defs", ["fc", None, {"type": "input"}, 3])
def test_rejects_layers_that_are_not_a_list(defs: Any) -> None:
    error = rejection(defs)
    assert str(error).startswith("layers: must be a list of layer definitions")
    assert error.location == "layers"


def test_rejects_layer_that_is_not_an_object() -> None:
    error = rejection([INPUT2, "fc", SOFTMAX2])
    assert str(error).startswith("layer 1: must be an object with a 'type'")
    assert error.location == "layers[1]"


def test_rejects_unknown_field() -> None:
    error = rejection([INPUT2, {"type": "fc", "num_neurons": 3, "neurons": 4}, SOFTMAX2])
    assert str(error) == "layer 1 (fc): unknown field 'neurons'"
    assert error.location == "layers[1].neurons"


@pytest.mark.parametrize(
    ("layer", "field", "message"),
    [
        ({"type": "fc", "num_neurons": "4"}, "num_neurons", "num_neurons must be a number, got '4'"),
        ({"type": "fc", "num_neurons": True}, "num_neurons", "num_neurons must be a number, got True"),
        ({"type": "fc", "num_neurons": None}, "num_neurons", "num_neurons must be a number, got None"),
        ({"type": "fc", "num_neurons": 2.5}, "num_neurons", "num_neurons must be an integer, got 2.5"),
        ({"type": "fc", "num_neurons": math.nan}, "num_neurons", "num_neurons must be finite, got nan"),
        ({"type": "fc", "num_neurons": math.inf}, "num_neurons", "num_neurons must be finite, got inf"),
        ({"type": "fc", "num_neurons": -1}, "num_neurons", "num_neurons must be >= 1, got -1"),
        ({"type": "fc", "num_neurons": 3, "activation": "swish"}, "activation",
         "activation must be one of relu, leaky_relu, sigmoid, tanh, maxout, got 'swish'"),
        ({"type": "fc", "num_neurons": 3, "drop_prob": 1.0}, "drop_prob", "drop_prob must be < 1, got 1"),
        ({"type": "fc", "num_neurons": 3, "drop_prob": -0.1}, "drop_prob",
         "drop_prob must be >= 0, got -0.1"),
        ({"type": "fc", "num_neurons": 3, "l2_decay_mul": -1}, "l2_decay_mul",
         "l2_decay_mul must be >= 0, got -1"),
        ({"type": "dropout", "drop_prob": 1}, "drop_prob", "drop_prob must be < 1, got 1"),
        ({"type": "pool", "sx": 2, "kind": "median"}, "kind", "kind must be one of max, avg, got 'median'"),
        ({"type": "pool", "sx": 2, "stride": 0}, "stride", "stride must be >= 1, got 0"),
        ({"type": "conv", "sx": 3, "filters": 2, "pad": -1}, "pad", "pad must be >= 0, got -1"),
        ({"type": "batchnorm", "momentum": 1.5}, "momentum", "momentum must be <= 1, got 1.5"),
        ({"type": "leaky_relu", "alpha": -0.5}, "alpha", "alpha must be >= 0, got -0.5"),
        ({"type": "maxout", "group_size": 0}, "group_size", "group_size must be >= 1, got 0"),
    ],
)  # fmt: skip
def test_rejects_bad_field_values(layer: dict[str, Any], field: str, message: str) -> None:
    error = rejection([{"type": "input", "out_sx": 4, "out_sy": 4, "out_depth": 2}, layer, SOFTMAX2])
    assert str(error) == f"layer 1 ({layer['type']}): {message}"
    assert error.path == ("layers", 1, field)


def test_rejects_softmax_with_one_class() -> None:
    error = rejection([INPUT2, {"type": "softmax", "num_classes": 1}])
    assert str(error) == "layer 1 (softmax): num_classes must be >= 2, got 1"
    assert error.location == "layers[1].num_classes"


def test_rejects_window_larger_than_the_input() -> None:
    error = rejection([{"type": "input", "out_sx": 4, "out_sy": 4, "out_depth": 1},
                       {"type": "conv", "sx": 5, "filters": 2}, SOFTMAX2])  # fmt: skip
    assert str(error) == "layer 1 (conv sx=5 stride=1): window 5x5 is larger than the padded input 4x4"
    assert error.location == "layers[1]"


def test_rejects_pad_as_large_as_the_window() -> None:
    error = rejection([{"type": "input", "out_sx": 4, "out_sy": 4, "out_depth": 1},
                       {"type": "pool", "sx": 2, "pad": 2}, SOFTMAX2])  # fmt: skip
    assert str(error) == "layer 1 (pool sx=2 stride=2 pad=2): pad 2 must be smaller than the window"


def test_geometry_errors_name_rectangular_windows() -> None:
    error = rejection([{"type": "input", "out_sx": 5, "out_sy": 2, "out_depth": 1},
                       {"type": "pool", "sx": 2, "sy": 3}, SOFTMAX2])  # fmt: skip
    assert str(error) == "layer 1 (pool sx=2 sy=3 stride=2): window 2x3 is larger than the padded input 5x2"


def test_maxout_leaves_out_channels_past_the_last_whole_group_as_convnetjs_does() -> None:
    net = Net([INPUT2, {"type": "fc", "num_neurons": 5, "activation": "maxout", "group_size": 2}, SOFTMAX2],
              dtype="float64")  # fmt: skip
    fc, maxout = net.layers[1], net.layers[2]
    assert maxout.out_shape == (2, 1, 1)
    x = np.random.default_rng(0).normal(size=(4, 2))
    hidden = x @ fc.params["w"] + fc.params["b"]
    np.testing.assert_allclose(maxout.forward(hidden, False), hidden[:, :4].reshape(4, 2, 2).max(axis=2))


def test_rejects_maxout_with_fewer_channels_than_one_group() -> None:
    error = rejection([INPUT2, {"type": "fc", "num_neurons": 1, "activation": "maxout", "group_size": 2},
                       SOFTMAX2])  # fmt: skip
    assert str(error) == "layer 1 (maxout): depth 1 is smaller than one group of 2"
    assert error.location == "layers[1].group_size"


def test_geometry_error_points_at_the_users_layer_after_desugaring() -> None:
    # Layer 1 expands into conv + relu, so the failing pool is desugared index 3 but user index 2.
    error = rejection([{"type": "input", "out_sx": 5, "out_sy": 5, "out_depth": 1},
                       {"type": "conv", "sx": 3, "filters": 2, "pad": 1, "activation": "relu"},
                       {"type": "pool", "sx": 6, "stride": 2}, SOFTMAX2])  # fmt: skip
    assert str(error).startswith("layer 2 (pool sx=6 stride=2): window 6x6 is larger than the padded input")


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_net_rejects_bad_seed(seed: Any) -> None:
    with pytest.raises(SpecError, match="seed: must be a non-negative integer") as caught:
        Net(CLASSIFY2D, seed=seed)
    assert caught.value.location == "seed"


@pytest.mark.parametrize("dtype", [np.float16, np.int32, "complex128"])
def test_net_rejects_dtypes_other_than_float32_and_float64(dtype: Any) -> None:
    with pytest.raises(SpecError, match="dtype: must be float32 or float64") as caught:
        Net(CLASSIFY2D, dtype=dtype)
    assert caught.value.location == "dtype"


def test_spec_error_paths_render_like_api_fields() -> None:
    assert format_path(("layers", 4, "sx")) == "layers[4].sx"
    assert format_path(()) == ""
    error = SpecError("noise must be >= 0", ("noise",)).prefixed("dataset")
    assert error.location == "dataset.noise"
    assert str(error) == "noise must be >= 0"
    assert SpecError("whole object").location == ""


def test_definitions_carrying_convnetjs_input_sizes_are_accepted_and_the_input_decides() -> None:
    """ConvNetJS's makeLayers writes in_sx, in_sy and in_depth into each definition after the input;
    they load as they are, and, as there, the real input shape wins."""
    defs = [{"type": "input", "out_sx": 6, "out_sy": 6, "out_depth": 2},
            {"type": "conv", "sx": 3, "filters": 2, "in_sx": 6, "in_sy": 6, "in_depth": 2},
            {"type": "softmax", "num_classes": 2, "in_sx": 99, "in_sy": 1, "in_depth": 1}]  # fmt: skip
    net = Net(defs)
    assert net.layers[1].out_shape == (2, 4, 4)
    error = rejection([defs[0], {**defs[1], "in_sx": "six"}, defs[2]])
    assert str(error) == "layer 1 (conv): in_sx must be a number, got 'six'"
    assert error.path == ("layers", 1, "in_sx")
