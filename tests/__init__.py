"""The test suite. Every test folder is a package, so pytest imports each module by its full name
(``tests.app.test_catalogue``, ``tests.datasets.test_catalogue``): two folders may hold modules of the
same name, and ``from tests.app.conftest import ...`` is the module pytest loaded, not a second copy.
A new test folder needs its own empty ``__init__.py``."""
