"""The one user-facing exception: the CLI prints its message on one line and exits 2."""


class BenchError(Exception):
    """A bad input or environment problem; the message names the problem and the fix."""
