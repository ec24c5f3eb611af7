"""Engine test setup."""

import contextlib
import warnings

# When a property test fails, Hypothesis imports its patch writer (hypothesis.extra._patching, which
# needs libcst). Here that import warns (mypy_extensions.TypedDict is deprecated), and with warnings
# as errors the failure then surfaces as a pytest INTERNALERROR instead of the falsifying example.
# Importing it once here, quietly, keeps failure reports readable; without libcst there is nothing to do.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401
