"""The one error type the engine raises for anything a user wrote that cannot work."""

from __future__ import annotations

from collections.abc import Sequence

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """Render a field path the way an API error shows it: ("layers", 4, "sx") -> "layers[4].sx"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class SpecError(ValueError):
    """A layer definition, trainer setting, dataset parameter or file that the engine rejects.

    `path` names the offending field relative to the object that was checked (for a net:
    ``("layers", 4, "sx")``; for a dataset: ``("noise",)``), so a server can prefix it with where that
    object sits in a request and answer 422 with the field and the reason. ``str(error)`` is the
    human-readable message.
    """

    def __init__(self, message: str, path: Sequence[PathPart] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path: tuple[PathPart, ...] = tuple(path)

    @property
    def location(self) -> str:
        """The path as text, e.g. ``layers[4].sx`` (empty when the whole object is at fault)."""
        return format_path(self.path)

    def prefixed(self, *prefix: PathPart) -> SpecError:
        """The same error with its path placed under `prefix` (e.g. a request's ``"dataset"`` field)."""
        return SpecError(self.message, (*prefix, *self.path))
