"""The errors that mean 'your input is wrong' (shown as one line, no traceback).

Importing this module is cheap (no pandas, no TensorFlow): the command line catches these
errors before it has loaded anything heavy.
"""

from __future__ import annotations


class DataError(ValueError):
    """An unusable raw file: "<file>:<line>: <field>: <what is wrong>" (line 0: the whole file)."""


def _user_errors() -> tuple[type[BaseException], ...]:
    from tweetgeo.config import ConfigError
    from tweetgeo.io import WriteError
    from tweetgeo.modelcard import ModelDirError

    return (ConfigError, DataError, ModelDirError, WriteError, FileNotFoundError)


USER_ERRORS = _user_errors()
