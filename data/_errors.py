"""The errors of the data package: a data set that cannot be had, a file that is not what it claims."""


class DatasetUnavailableError(FileNotFoundError):
    """A data set has neither its files nor an offline renderer; the message says where to get it."""


class DataFormatError(ValueError):
    """A data file exists but is truncated, corrupt or of the wrong shape; the message names the file."""


def unreadable(path: object, kind: str, err: BaseException, url: str = "") -> DataFormatError:
    """The one wording of "cannot parse this file": the file, the reader's complaint, and the fix."""
    source = f" from {url}" if url else ""
    return DataFormatError(
        f"{path} is not a readable {kind} ({type(err).__name__}: {err}); it is truncated or corrupt: "
        f"download it again{source}"
    )
