"""The visual computations against the net's own forward pass, and the producer's frames."""

from __future__ import annotations

import numpy as np
import pytest

from app.frames import decode_frame, dequantize_arrays
from app.visuals import (
    VisualProducer,
    VisualView,
    boundary,
    check_hidden_view,
    confusion_matrix,
    conv_filters,
    default_hidden_view,
    display_image,
    hidden_space,
    layer_gradients,
    net_inputs,
    neuron_grids,
    neuron_layers,
    plane_grid,
    top_predictions,
    unpack_weights,
)
from engine import Net, SpecError, make_optimizer
from engine.datasets import Dataset, apply_features, make_dataset
from engine.demo_nets import CLASSIFY2D_LAYERS, MNIST_LAYERS
from engine.training import TrainingRun

FEATURES = ["x1", "x2", "x1sq", "sinx2"]
QUANTUM = 1 / 255 / 2 + 1e-6


def _points_net(inputs: int, hidden: list[dict], loss: dict) -> Net:
    return Net([{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": inputs}, *hidden, loss], seed=1)


def _fc(neurons: int, activation: str | None = None) -> dict:
    return {"type": "fc", "num_neurons": neurons, "activation": activation}


SOFTMAX2 = {"type": "softmax", "num_classes": 2}
REGRESSION1 = {"type": "regression", "num_neurons": 1}


@pytest.fixture(scope="module")
def circle() -> Dataset:
    return make_dataset("circle", n_samples=80, features=FEATURES, seed=0)


@pytest.fixture(scope="module")
def circle_net() -> Net:
    layers = [{**layer} for layer in CLASSIFY2D_LAYERS]
    layers[0] = {**layers[0], "out_depth": len(FEATURES)}
    return Net(layers, seed=2)


@pytest.fixture(scope="module")
def xo() -> Dataset:
    return make_dataset("xo", n_samples=40, size=24, seed=0)


@pytest.fixture(scope="module")
def mnist_net() -> Net:
    return Net([*MNIST_LAYERS[:-1], SOFTMAX2], seed=0)


def test_plane_grid_starts_top_left_and_runs_row_major() -> None:
    grid = plane_grid((-1.0, 3.0, -2.0, 2.0), 5)
    assert grid.shape == (25, 2)
    assert grid.dtype == np.float32
    np.testing.assert_array_equal(grid[0], [-1.0, 2.0])
    np.testing.assert_array_equal(grid[1], [0.0, 2.0])
    np.testing.assert_array_equal(grid[4], [3.0, 2.0])
    np.testing.assert_array_equal(grid[5], [-1.0, 1.0])
    np.testing.assert_array_equal(grid[-1], [3.0, -2.0])
    assert plane_grid((-1.0, 3.0, -2.0, 2.0), 5) is grid
    assert not grid.flags.writeable


def test_boundary_is_the_nets_probabilities_over_the_grid(circle: Dataset, circle_net: Net) -> None:
    probs = boundary(circle_net, circle, 7)
    assert probs.shape == (2, 7, 7)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, rtol=1e-5)
    xmin, xmax, ymin, ymax = circle.extent
    corners = np.array([[xmin, ymax], [xmax, ymax], [xmin, ymin], [0.0, 0.0]], dtype=np.float32)
    expected = circle_net.forward(apply_features(corners, FEATURES))
    np.testing.assert_allclose(probs[:, 0, 0], expected[0], rtol=1e-6)
    np.testing.assert_allclose(probs[:, 0, -1], expected[1], rtol=1e-6)
    np.testing.assert_allclose(probs[:, -1, 0], expected[2], rtol=1e-6)
    np.testing.assert_allclose(probs[:, 3, 3], expected[3], rtol=1e-6, atol=1e-7)


def test_boundary_of_an_svm_is_a_softmax_of_its_scores(circle: Dataset) -> None:
    net = _points_net(4, [_fc(3, "relu")], {"type": "svm", "num_classes": 2})
    probs = boundary(net, circle, 4)
    scores = net.forward(net_inputs(circle, plane_grid(circle.extent, 4)))
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs.reshape(2, -1).T, expected, rtol=1e-5)


def test_boundary_of_a_2d_regression_is_its_value_per_cell() -> None:
    data = make_dataset("regress_plane", n_samples=40, seed=0)
    net = _points_net(2, [_fc(4, "tanh")], REGRESSION1)
    values = boundary(net, data, 6)
    assert values.shape == (1, 6, 6)
    np.testing.assert_allclose(values.reshape(-1), net.forward(plane_grid(data.extent, 6))[:, 0], rtol=1e-6)


def test_boundary_of_a_1d_regression_is_a_curve_over_the_x_range() -> None:
    data = make_dataset("sine", n_samples=30, seed=0)
    net = _points_net(1, [_fc(5, "relu")], REGRESSION1)
    curve = boundary(net, data, 11)
    assert curve.shape == (2, 11)
    np.testing.assert_allclose(curve[0], np.linspace(-5.0, 5.0, 11), atol=1e-6)
    np.testing.assert_allclose(curve[1], net.forward(curve[0][:, None])[:, 0], rtol=1e-6)
    neurons = neuron_grids(net, data, 9)
    assert [row["values"].shape for row in neurons] == [(1, 1, 9), (5, 1, 9)]


def test_neuron_layers_are_activations_and_fc_layers_without_one() -> None:
    net = _points_net(
        2,
        [
            _fc(3),
            _fc(4),
            {"type": "batchnorm"},
            {"type": "relu"},
            {**_fc(2, "maxout"), "drop_prob": 0.5},
        ],
        SOFTMAX2,
    )
    types = [layer.type for layer in net.layers]
    assert types == ["input", "fc", "fc", "batchnorm", "relu", "fc", "maxout", "dropout", "fc", "softmax"]
    assert neuron_layers(net.layers) == [1, 4, 6]


def test_neuron_grids_equal_each_layers_output_on_the_grid(circle: Dataset, circle_net: Net) -> None:
    rows = neuron_grids(circle_net, circle, 5)
    assert [(row["layer"], row["type"]) for row in rows] == [(0, "input"), (2, "tanh"), (4, "tanh")]
    inputs = apply_features(plane_grid(circle.extent, 5), FEATURES)
    for row in rows:
        expected = circle_net.layer_output(inputs, row["layer"])
        assert row["values"].shape == (expected.shape[1], 5, 5)
        np.testing.assert_allclose(row["values"].reshape(expected.shape[1], -1).T, expected, rtol=1e-6)
    assert neuron_grids(circle_net, circle, 5, max_neurons=7) == []


def test_hidden_space_maps_points_and_mesh_through_neurons(circle: Dataset, circle_net: Net) -> None:
    view = hidden_space(circle_net, circle, 2, (4, 1), lines=3, points_per_line=5)
    assert view["layer"] == 2
    assert view["neurons"] == [4, 1]
    expected = circle_net.layer_output(apply_features(circle.points_train, FEATURES), 2)[:, [4, 1]]
    np.testing.assert_allclose(view["points"], expected, rtol=1e-6)
    assert view["labels"].dtype == np.int32
    np.testing.assert_array_equal(view["labels"], circle.y_train)
    assert view["mesh"].shape == (6, 5, 2)
    xmin, xmax, ymin, ymax = circle.extent
    bottom_line = np.stack([np.linspace(xmin, xmax, 5), np.full(5, ymin)], axis=1)
    left_line = np.stack([np.full(5, xmin), np.linspace(ymin, ymax, 5)], axis=1)
    for mesh_row, line in ((0, bottom_line), (3, left_line)):
        expected = circle_net.layer_output(apply_features(line, FEATURES), 2)[:, [4, 1]]
        np.testing.assert_allclose(view["mesh"][mesh_row], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("layer", "neurons", "path"),
    [(9, (0, 1), ("layer",)), (1, (0, 1), ("layer",)), (6, (0, 1), ("layer",)),
     (4, (0, 2), ("neurons", 1)), (2, (-1, 0), ("neurons", 0)), (2, (0,), ("neurons",))],
)  # fmt: skip
def test_hidden_space_rejects_bad_layers_and_neurons(
    circle: Dataset, circle_net: Net, layer: int, neurons: tuple, path: tuple
) -> None:
    with pytest.raises(SpecError) as caught:
        hidden_space(circle_net, circle, layer, neurons)
    assert caught.value.path == path
    assert str(caught.value).startswith(path[0])


def test_a_one_neuron_layer_is_drawn_against_itself() -> None:
    net = _points_net(2, [_fc(1, "tanh")], SOFTMAX2)
    assert default_hidden_view(net.layers) == (2, (0, 0))
    assert check_hidden_view(net.layers, 2, (0, 1)) == (2, (0, 0))


def test_default_hidden_view_is_the_last_layer_with_two_neurons(circle_net: Net) -> None:
    assert default_hidden_view(circle_net.layers) == (4, (0, 1))
    narrow_last = _points_net(2, [_fc(3, "tanh"), _fc(1, "tanh")], SOFTMAX2)
    assert default_hidden_view(narrow_last.layers) == (2, (0, 1))
    assert default_hidden_view(_points_net(2, [], SOFTMAX2).layers) is None


def test_layer_gradients_of_one_image(xo: Dataset, mnist_net: Net) -> None:
    image = xo.X_test[:1]
    traced = layer_gradients(mnist_net, image, 1)
    rows = traced["layers"]
    shapes = [(row["out_depth"], row["out_sy"], row["out_sx"]) for row in mnist_net.describe()]
    assert [row["values"].shape for row in rows] == shapes
    assert [row["grads"].shape for row in rows] == shapes
    assert shapes[0] == (1, 24, 24)
    assert shapes[-1] == (2, 1, 1)
    assert [row["type"] for row in rows] == [layer.type for layer in mnist_net.layers]
    inspection = mnist_net.inspect(image, np.array([1]))
    assert traced["loss"] == inspection.loss
    for row in rows:
        expected = mnist_net.layer_output(image, row["layer"])
        np.testing.assert_allclose(row["values"], expected.reshape(row["values"].shape), rtol=1e-5)
        expected_grad = inspection.output_grads[row["layer"]]
        np.testing.assert_array_equal(row["grads"], expected_grad.reshape(row["grads"].shape))
    assert [(row["layer"], row["values"].shape) for row in traced["filters"]] == [
        (1, (8, 1, 5, 5)),
        (4, (16, 8, 5, 5)),
    ]
    np.testing.assert_array_equal(traced["filters"][1]["values"], inspection.filter_grads[4])
    filters = conv_filters(mnist_net)
    assert [(row["layer"], row["values"].shape) for row in filters] == [(1, (8, 1, 5, 5)), (4, (16, 8, 5, 5))]


def test_top_predictions_are_the_most_likely_classes_first(xo: Dataset, mnist_net: Net) -> None:
    probs = mnist_net.forward(xo.X_test)
    items = top_predictions(mnist_net, xo.X_test, xo.y_test, [3, 0], k=3)
    assert [item["index"] for item in items] == [3, 0]
    for item in items:
        best = np.argsort(-probs[item["index"]])
        assert [c for c, _ in item["top"]] == best.tolist()
        np.testing.assert_allclose([p for _, p in item["top"]], probs[item["index"], best], rtol=1e-6)
        assert item["label"] == xo.y_test[item["index"]]
        assert item["correct"] == (best[0] == item["label"])


def test_confusion_matrix_counts_true_rows_and_predicted_columns() -> None:
    y = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    matrix = confusion_matrix(predicted, y, 3)
    assert matrix.dtype == np.int64
    np.testing.assert_array_equal(matrix, expected)
    with pytest.raises(ValueError, match="predicted"):
        confusion_matrix(np.array([3]), np.array([0]), 3)


def test_display_image_undoes_the_normalisation(xo: Dataset) -> None:
    pixels = display_image(xo, xo.X_test[:2])
    assert pixels.shape == (2, 24, 24, 3)
    assert pixels.dtype == np.uint8
    raw = xo.X_test[:2, 0] * xo.norm_std[0] + xo.norm_mean[0]
    np.testing.assert_array_equal(pixels[..., 0], np.rint(np.clip(raw, 0, 1) * 255))
    np.testing.assert_array_equal(pixels[..., 1], pixels[..., 2])
    assert display_image(xo, xo.X_test[0]).shape == (24, 24, 3)


def _decoded(frame: bytes) -> tuple[dict, dict]:
    header, arrays = decode_frame(frame)
    return header, dequantize_arrays(header, arrays)


def test_plane_frames_decode_to_the_computed_visuals(circle: Dataset, circle_net: Net) -> None:
    producer = VisualProducer(circle_net, circle, VisualView(grid=12, neuron_grid=8))
    frames = [_decoded(frame) for frame in producer.frames(step=42)]
    assert [header["type"] for header, _ in frames] == ["boundary", "neurons", "weights", "hidden"]
    for header, _ in frames:
        assert header["step"] == 42
        if header["type"] != "weights":  # the weights frame leaves them to the snapshot
            assert header["extent"] == list(circle.extent)
            assert header["classes"] == ["A", "B"]
    (boundary_header, boundary_arrays), (neuron_header, neuron_arrays), weights, hidden = frames
    hidden_arrays = hidden[1]
    assert boundary_header["grid"] == 12
    assert boundary_header["arrays"][0]["range"] == [0.0, 1.0]
    np.testing.assert_allclose(boundary_arrays["probs"], boundary(circle_net, circle, 12), atol=QUANTUM)
    assert neuron_header["grid"] == 8
    for row in neuron_grids(circle_net, circle, 8):
        atol = np.ptp(row["values"]) * QUANTUM
        np.testing.assert_allclose(neuron_arrays[f"layer{row['layer']}"], row["values"], atol=atol)
    expected = hidden_space(circle_net, circle, 4, (0, 1))
    for name in ("mesh", "points", "labels"):
        np.testing.assert_array_equal(hidden_arrays[name], expected[name])
    weights_header, weight_arrays = weights
    dense = [index for index, layer in enumerate(circle_net.layers) if layer.type == "fc"]
    assert set(weights_header) == {"type", "step", "arrays"}  # small: sent at the stream's fps
    unpacked = unpack_weights(weight_arrays["params"], circle_net.describe())
    assert list(unpacked) == dense
    for index, (w, b) in unpacked.items():  # exact: a diagram edits them one by one
        np.testing.assert_array_equal(w, circle_net.layers[index].params["w"])
        np.testing.assert_array_equal(b, circle_net.layers[index].params["b"])


def test_regression_boundary_frames_carry_values_with_their_range() -> None:
    data = make_dataset("regress_gauss", n_samples=40, seed=0)
    net = _points_net(2, [_fc(3, "tanh")], REGRESSION1)
    header, arrays = _decoded(VisualProducer(net, data, VisualView(grid=10)).frames(1)[0])
    values = boundary(net, data, 10)
    assert header["arrays"][0]["range"] == pytest.approx([values.min(), values.max()])
    np.testing.assert_allclose(arrays["values"], values, atol=(values.max() - values.min()) * QUANTUM)


def assert_signed(header: dict, arrays: dict, name: str, expected: np.ndarray) -> None:
    """Array `name` of a frame is `expected` quantised over [-m, m], m its largest magnitude."""
    bound = float(np.abs(expected).max())
    assert bound > 0, f"{name}: an all-zero gradient proves nothing"
    (entry,) = [entry for entry in header["arrays"] if entry["name"] == name]
    assert entry["range"] == pytest.approx([-bound, bound])
    np.testing.assert_allclose(arrays[name], expected, atol=2 * bound * QUANTUM)


def test_image_frames_decode_to_the_computed_visuals(xo: Dataset, mnist_net: Net) -> None:
    producer = VisualProducer(mnist_net, xo, VisualView(sample=2, predictions=3))
    frames = [_decoded(frame) for frame in producer.frames(step=5)]
    assert [header["type"] for header, _ in frames] == ["activations", "filters", "samples"]
    (activation_header, activations), (_, filters), (sample_header, samples) = frames
    assert activation_header["sample"] == 2
    assert activation_header["label"] == xo.y_test[2]
    np.testing.assert_array_equal(activations["image"], display_image(xo, xo.X_test[2]))
    traced = layer_gradients(mnist_net, xo.X_test[2:3], int(xo.y_test[2]))
    assert activation_header["loss"] == pytest.approx(traced["loss"])
    for row, described in zip(traced["layers"], activation_header["layers"], strict=True):
        assert described == {"layer": row["layer"], "type": row["type"], "shape": list(row["values"].shape)}
        atol = np.ptp(row["values"]) * QUANTUM
        np.testing.assert_allclose(activations[f"layer{row['layer']}"], row["values"], atol=atol)
        assert_signed(activation_header, activations, f"grad{row['layer']}", row["grads"])
    assert activation_header["filter_grads"] == [
        {"layer": 1, "shape": [8, 1, 5, 5]},
        {"layer": 4, "shape": [16, 8, 5, 5]},
    ]
    for row in traced["filters"]:
        assert_signed(activation_header, activations, f"filter_grad{row['layer']}", row["values"])
    weights = mnist_net.conv_filters(1)
    np.testing.assert_allclose(filters["layer1"], weights, atol=np.ptp(weights) * QUANTUM)
    assert [item["index"] for item in sample_header["items"]] == [0, 1, 2]
    assert samples["images"].shape == (3, 24, 24, 3)
    _, _, (next_header, _) = [_decoded(frame) for frame in producer.frames(step=6)]
    assert [item["index"] for item in next_header["items"]] == [3, 4, 5]


def _training_run(data: Dataset) -> TrainingRun:
    """A run whose state has every kind frames could disturb: dropout (the generator), batchnorm
    (running statistics), Adam's moments, and layers that skip their input gradient in training."""
    layers = [
        *MNIST_LAYERS[:2],
        {"type": "batchnorm"},
        *MNIST_LAYERS[2:-1],
        {"type": "fc", "num_neurons": 4, "drop_prob": 0.5},
        SOFTMAX2,
    ]
    net = Net(layers, seed=0)
    return TrainingRun(net, make_optimizer(net, {"method": "adam", "batch_size": 4}), data, seed=0)


def test_producing_frames_between_steps_leaves_training_bit_for_bit_the_same(xo: Dataset) -> None:
    plain, watched = _training_run(xo), _training_run(xo)
    producer = VisualProducer(watched.net, xo, VisualView(sample=3))
    for _ in range(6):
        plain.train_step()
        assert len(producer.frames(watched.step)) == 3
        watched.train_step()
    assert plain.step == watched.step == 6
    np.testing.assert_array_equal(watched.net.flat.values, plain.net.flat.values)
    np.testing.assert_array_equal(watched.net.flat.grads, plain.net.flat.grads)
    for ours, theirs in zip(watched.net.layers, plain.net.layers, strict=True):
        for name, buffer in theirs.buffers.items():
            np.testing.assert_array_equal(ours.buffers[name], buffer)
    assert watched.net.rng.bit_generator.state == plain.net.rng.bit_generator.state
    assert watched.checkpoint()["optimizer"] == plain.checkpoint()["optimizer"]
    # the gradient buffer between a backward and the optimizer's step (where a frame may come) is kept
    batch = xo.X_train[:4]
    watched.net.compute_gradients(batch, xo.y_train[:4])
    grads = watched.net.flat.grads.copy()
    producer.frames(watched.step)
    np.testing.assert_array_equal(watched.net.flat.grads, grads)


def test_confusion_message(xo: Dataset, mnist_net: Net) -> None:
    message = VisualProducer(mnist_net, xo).confusion(9, np.array([0, 1, 1]), np.array([1, 1, 0]))
    assert message == {"type": "confusion", "step": 9, "matrix": [[0, 1], [1, 1]], "class_names": ["x", "o"]}


def test_confusion_leaves_out_examples_not_measured_yet(xo: Dataset, mnist_net: Net) -> None:
    message = VisualProducer(mnist_net, xo).confusion(9, np.array([0, -1, 1]), np.array([1, 1, 0]))
    assert message["matrix"] == [[0, 1], [1, 0]]


def test_only_the_asked_kinds_are_made_and_kinds_a_job_lacks_give_no_frame(
    circle: Dataset, circle_net: Net, xo: Dataset, mnist_net: Net
) -> None:
    plane = VisualProducer(circle_net, circle, VisualView(grid=12, neuron_grid=8))
    no_hidden = VisualProducer(_points_net(4, [], SOFTMAX2), circle)

    chosen = [decode_frame(frame)[0]["type"] for frame in plane.frames(1, kinds=["hidden", "boundary"])]

    assert plane.kinds == ("boundary", "neurons", "weights", "hidden")
    assert chosen == ["hidden", "boundary"]
    assert plane.frame("activations", 1) is None  # an image kind on a 2D job
    assert no_hidden.frame("hidden", 1) is None
    assert VisualProducer(mnist_net, xo, VisualView(predictions=0)).frame("samples", 1) is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"grid": 7}, "grid"), ({"grid": 257}, "grid"), ({"grid": True}, "grid"), ({"grid": 9.0}, "grid"),
        ({"neuron_grid": 65}, "neuron_grid"), ({"predictions": -1}, "predictions"),
        ({"sample": 40}, "sample"), ({"sample": -1}, "sample"),
        ({"hidden_layer": 1}, "hidden_layer"), ({"hidden_layer": 99}, "hidden_layer"),
        ({"hidden_layer": 2, "hidden_neurons": (0, 6)}, "hidden_neurons"),
        ({"hidden_neurons": [2, 0]}, "hidden_neurons"), ({"colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_set_view_rejects_bad_values_naming_the_field(
    circle: Dataset, circle_net: Net, changes: dict, field: str
) -> None:
    producer = VisualProducer(circle_net, circle)
    with pytest.raises(ValueError, match=f"^{field}:"):
        producer.set_view(**changes)
    assert producer.view == VisualView()


def test_set_view_changes_what_the_next_frames_show(circle: Dataset, circle_net: Net) -> None:
    producer = VisualProducer(circle_net, circle)
    view = producer.set_view(grid=16, hidden_layer=2, hidden_neurons=[5, 3], sample=39)
    assert view == VisualView(grid=16, hidden_layer=2, hidden_neurons=(5, 3), sample=39)
    boundary_frame, _, _, hidden_frame = (decode_frame(frame)[0] for frame in producer.frames(0))
    assert boundary_frame["arrays"][0]["shape"] == [2, 16, 16]
    assert (hidden_frame["layer"], hidden_frame["neurons"]) == (2, [5, 3])
