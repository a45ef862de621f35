"""The sweep's own error types: each carries a message that says what is wrong and what to do."""


class SweepConfigError(ValueError):
    """A configuration or environment problem found before any job starts (the preflight refuses with it)."""


class StoreError(RuntimeError):
    """The result store would hold something it must not (e.g. a run_id recorded twice)."""
