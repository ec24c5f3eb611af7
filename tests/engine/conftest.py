"""Engine test setup."""

import warnings

# Hypothesis imports its patch writer (hypothesis.extra._patching, which pulls in libcst) only when a
# property test fails; that import warns (mypy_extensions.TypedDict is deprecated), and with warnings
# as errors the failure then surfaces as a pytest INTERNALERROR instead of the falsifying example.
# Importing it here, once and quietly, keeps failure reports readable.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401
