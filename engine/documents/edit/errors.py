"""The two ways an edition script fails, both located in the script as Rhai locates them."""
from __future__ import annotations


class ScriptError(Exception):
    """A problem found at a (line, position) of the script: a compile error when raised by the
    parser, a run-time error when raised by the interpreter."""

    def __init__(self, message: str, line: int = 0, column: int = 0):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column

    def __str__(self) -> str:
        if self.line:
            return f"{self.message} (line {self.line}, position {self.column})"
        return self.message
