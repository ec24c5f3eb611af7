"""The catalogue listing and `make_dataset`'s validation of names and parameters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import CATALOGUE, list_datasets, make_dataset, make_dataset_from_spec
from engine.errors import SpecError

EXPECTED_NAMES = {
    "quadrants", "rings", "three_mode", "circle", "spiral", "gauss", "xor", "linear", "moons", "multiclass",
    "points", "regress_plane", "regress_gauss", "sine", "line_points", "xo", "shapes", "digits", "mnist",
    "idx", "npz", "image_zip", "painting",
}  # fmt: skip
REPO_ROOT = Path(__file__).resolve().parents[2]
# The painting set holds nothing out by default (tests/datasets/test_painting_set.py covers it).
CHEAP_DEFAULTS = [
    name for name, entry in CATALOGUE.items() if entry.source == "generated" and entry.kind != "painting"
]


def test_listing_names_every_dataset_and_is_json_serialisable() -> None:
    listing = list_datasets()
    assert {entry["name"] for entry in listing} == EXPECTED_NAMES
    assert json.loads(json.dumps(listing)) == listing


def test_listing_entries_carry_kind_description_and_parameter_ranges() -> None:
    rings = next(entry for entry in list_datasets() if entry["name"] == "rings")
    assert rings["kind"] == "classify2d" and rings["available"] is True
    assert rings["extent"] == [-3.0, 3.0, -3.0, 3.0]
    assert "ring" in rings["description"]
    params = {param["name"]: param for param in rings["params"]}
    assert set(params) == {"n_samples", "noise", "features", "test_fraction", "val_fraction", "seed"}
    assert params["noise"] == {
        "name": "noise", "type": "float", "default": 0.0, "min": 0.0, "max": 0.5, "choices": None,
        "required": False, "description": params["noise"]["description"],
    }  # fmt: skip
    assert params["features"]["default"] == ["x1", "x2"]
    assert "sinx1" in params["features"]["choices"]
    kinds = {entry["name"]: entry["kind"] for entry in list_datasets()}
    assert (
        kinds["sine"] == "regress1d" and kinds["regress_gauss"] == "regress2d" and kinds["mnist"] == "image"
    )


@pytest.mark.parametrize("name", CHEAP_DEFAULTS)
def test_generated_set_builds_with_its_defaults(name: str) -> None:
    data = make_dataset(name)
    assert data.name == name
    assert data.X_train.dtype == np.float32
    assert data.X_train.shape[0] == data.y_train.shape[0] > 0
    assert data.X_test.shape[0] == data.y_test.shape[0] > 0
    assert data.X_train.shape[1:] == data.X_test.shape[1:]
    assert json.dumps(data.summary())


def test_unknown_dataset_name_raises_spec_error_on_name() -> None:
    with pytest.raises(SpecError, match="unknown dataset 'ringz'") as caught:
        make_dataset("ringz")
    assert caught.value.path == ("name",)


def test_unknown_parameter_raises_spec_error_naming_it() -> None:
    with pytest.raises(SpecError, match="unknown parameter") as caught:
        make_dataset("rings", n_sample=100)
    assert caught.value.path == ("n_sample",)


@pytest.mark.parametrize(
    ("params", "path", "message"),
    [
        ({"noise": 0.9}, ("noise",), "noise: must be between 0 and 0.5, got 0.9"),
        ({"noise": "a lot"}, ("noise",), "must be a number"),
        ({"noise": float("nan")}, ("noise",), "must be finite"),
        ({"n_samples": 5}, ("n_samples",), "between 10 and 5000"),
        ({"n_samples": 100.5}, ("n_samples",), "whole number"),
        ({"n_samples": True}, ("n_samples",), "must be a number"),
        ({"seed": -1}, ("seed",), "seed"),
        ({"features": ["x1", "cos"]}, ("features", 1), "unknown feature 'cos'"),
        ({"features": ["x1", "x1"]}, ("features", 1), "listed twice"),
        ({"features": []}, ("features",), "non-empty"),
        ({"test_fraction": 0.5, "val_fraction": 0.5}, ("val_fraction",), "at most 0.9"),
    ],
)
def test_bad_parameter_raises_spec_error_naming_it(params: dict, path: tuple, message: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        make_dataset("rings", **params)
    assert caught.value.path == path


def test_integral_float_is_accepted_for_an_int_parameter() -> None:
    assert make_dataset("rings", n_samples=100.0).X_train.shape == (50, 2)


def test_image_parameters_are_validated_with_their_names() -> None:
    with pytest.raises(SpecError) as caught:
        make_dataset("xo", size=9, crop=12)
    assert caught.value.path == ("crop",)
    with pytest.raises(SpecError) as caught:
        make_dataset("xo", n_samples=20000, size=64)
    assert caught.value.path == ("n_samples",)
    with pytest.raises(SpecError, match="true or false") as caught:
        make_dataset("xo", flip="yes")
    assert caught.value.path == ("flip",)


def test_spec_form_builds_and_rejects_a_smuggled_data_dir(tmp_path: Path) -> None:
    data = make_dataset_from_spec({"name": "xor", "n_samples": 100, "seed": 3})
    np.testing.assert_array_equal(data.X_train, make_dataset("xor", n_samples=100, seed=3).X_train)
    with pytest.raises(SpecError) as caught:
        make_dataset_from_spec({"name": "npz", "file": "a.npz", "data_dir": "/"}, data_dir=tmp_path)
    assert caught.value.path == ("data_dir",)
    with pytest.raises(SpecError) as caught:
        make_dataset_from_spec({"noise": 0.1})
    assert caught.value.path == ("name",)


def test_missing_required_file_parameter_is_named() -> None:
    with pytest.raises(SpecError, match="is required") as caught:
        make_dataset("npz")
    assert caught.value.path == ("file",)


def test_file_set_without_a_data_dir_says_so() -> None:
    with pytest.raises(SpecError, match="no data dir") as caught:
        make_dataset("npz", file="x.npz")
    assert caught.value.path == ("file",)


_WITHOUT_EXTRAS = """
import json, sys
for module in ("sklearn", "mlxtend", "PIL"):
    sys.modules[module] = None  # makes the import fail as if the package were not installed
import engine.datasets as datasets
from engine.errors import SpecError
listing = {entry["name"]: entry for entry in datasets.list_datasets()}
try:
    datasets.make_dataset("mnist")
    error = None
except SpecError as caught:
    error = [caught.message, list(caught.path)]
print(json.dumps({
    "available": {name: listing[name]["available"] for name in ("digits", "mnist", "image_zip", "rings")},
    "hint": listing["digits"]["install_hint"],
    "rings": datasets.make_dataset("rings", n_samples=50).X_train.shape[0],
    "error": error,
}))
"""


def test_catalogue_works_without_the_data_extra_and_says_how_to_get_it() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRAS], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    report = json.loads(result.stdout)
    assert report["available"] == {"digits": False, "mnist": False, "image_zip": False, "rings": True}
    assert report["hint"] == 'needs sklearn: pip install "netplay[data]"'
    assert report["rings"] == 26  # 25 per class, floor(12.5) of each held out
    message, path = report["error"]
    assert 'pip install "netplay[data]"' in message and path == ["name"]
