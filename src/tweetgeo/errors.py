"""The errors that mean 'your input is wrong' (shown as one line, no traceback)."""

from __future__ import annotations


def _user_errors() -> tuple[type[BaseException], ...]:
    from tweetgeo.config import ConfigError
    from tweetgeo.datasets import DataError
    from tweetgeo.modelcard import ModelDirError

    return (ConfigError, DataError, ModelDirError, FileNotFoundError)


USER_ERRORS = _user_errors()
