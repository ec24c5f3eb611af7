"""The lanes (tests/lanes.py): every test gets its folder's marker or ``fast``, ``-m fast`` selects
what the long marker expression selects, and under ``NETPLAY_REQUIRE_ALL=1`` a skip fails. Each case is
a small test tree run by pytest inside this test (pytester), with this project's registered markers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
FAST_SPELLED_OUT = "not slow and not browser and not cluster and not wheel and not tools"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester folder with this project's markers, strictly (a lane that is not registered fails)."""
    options = tomllib.loads(PYPROJECT.read_text())["tool"]["pytest"]["ini_options"]
    markers = "\n".join(f"    {marker}" for marker in options["markers"])
    pytester.makeini(f"[pytest]\naddopts = --strict-markers -p tests.lanes\nmarkers =\n{markers}\n")
    return pytester


def selected(pytester: pytest.Pytester, expression: str) -> set[str]:
    """The test ids `-m expression` selects."""
    result = pytester.runpytest("--collect-only", "-q", "-m", expression)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), result.stdout.str()
    return {line for line in result.outlines if "::" in line}


def test_each_test_gets_its_folder_s_lane_and_every_other_test_the_fast_one(project: pytest.Pytester) -> None:
    project.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef ray_cluster():\n    return 'a cluster'\n"
    )  # fmt: skip
    for path in ("tests/browser/test_page.py", "tests/cluster/test_nodes.py", "tests/test_wheel.py",
                 "tests/test_benchmarks_smoke.py"):  # fmt: skip
        (project.path / path).parent.mkdir(parents=True, exist_ok=True)
        (project.path / path).write_text("def test_it():\n    pass\n")
    (project.path / "tests" / "app").mkdir()
    (project.path / "tests" / "app" / "test_api.py").write_text(
        "import pytest\n\n"
        "def test_quick():\n    pass\n\n"
        "@pytest.mark.slow\ndef test_long():\n    pass\n\n"
        "@pytest.mark.tools\ndef test_with_node():\n    pass\n\n"
        "def test_on_ray(ray_cluster):\n    pass\n"
    )

    assert selected(project, "fast") == {"tests/app/test_api.py::test_quick"}
    assert selected(project, FAST_SPELLED_OUT) == selected(project, "fast")
    assert selected(project, "browser") == {"tests/browser/test_page.py::test_it"}
    assert selected(project, "cluster") == {
        "tests/cluster/test_nodes.py::test_it",
        "tests/app/test_api.py::test_on_ray",
    }
    assert selected(project, "wheel") == {"tests/test_wheel.py::test_it"}
    assert selected(project, "tools") == {"tests/app/test_api.py::test_with_node"}
    assert selected(project, "slow") == {
        "tests/test_benchmarks_smoke.py::test_it",
        "tests/app/test_api.py::test_long",
    }


SKIPPING = {
    "test_skips": (
        "import pytest\n\n"
        "def test_skipped():\n    pytest.importorskip('a_module_one_test_needs')\n\n"
        "@pytest.mark.xfail(strict=True)\ndef test_expected_failure():\n    assert False\n\n"
        "def test_passes():\n    pass\n"
    ),
    "test_missing_extra": "import pytest\n\npytest.importorskip('no_such_module_netplay_needs')\n",
}


def test_a_skip_is_a_skip_for_a_newcomer(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETPLAY_REQUIRE_ALL", raising=False)
    project.makepyfile(**SKIPPING)
    project.runpytest().assert_outcomes(passed=1, skipped=2, xfailed=1)


def test_under_require_all_every_skip_fails_and_an_expected_failure_stays(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPLAY_REQUIRE_ALL", "1")
    project.makepyfile(**SKIPPING)
    result = project.runpytest("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, failed=1, errors=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*NETPLAY_REQUIRE_ALL=1: a skipped test or module fails*",
            "*NETPLAY_REQUIRE_ALL=1 (CI installs everything), but this skipped*no_such_module_netplay_needs*",
            "*NETPLAY_REQUIRE_ALL=1 (CI installs everything), but this skipped*a_module_one_test_needs*",
        ]
    )


def test_every_test_folder_is_a_package() -> None:
    """Without its ``__init__.py`` a folder's modules are imported by their bare names, and one named
    like a module of another folder stops the whole suite from collecting (tests/__init__.py)."""
    tests = Path(__file__).resolve().parent
    folders = {path.parent for path in tests.rglob("test_*.py") if "node_modules" not in path.parts}
    assert sorted(str(folder) for folder in folders if not (folder / "__init__.py").exists()) == []
