"""The sweep's own error types: each carries a message that says what is wrong and what to do."""


class SweepConfigError(ValueError):
    """A configuration or environment problem found before any job starts (the preflight refuses with it)."""


class StoreError(RuntimeError):
    """The result store would hold something it must not (e.g. a run_id recorded twice)."""


class StoreLockedError(RuntimeError):
    """Another `run` or `compact` holds the lock on the same out= directory; the message names it."""


class ExecutorError(RuntimeError):
    """Ray could not be started or joined; nothing was run."""


class RunsFailedError(RuntimeError):
    """`run` ended with runs recorded `failed` (a rerun retries them); the message says how many."""
