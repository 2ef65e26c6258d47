"""The errors that mean 'your input is wrong' (shown as one line, no traceback).

Importing this module is cheap (no pandas, no TensorFlow): the command line catches these
errors before it has loaded anything heavy.
"""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from the user (params, raw data, a model folder, an output path); the message names
    the file and field."""


class DataError(UserError):
    """An unusable raw file: "<file>:<line>: <field>: <what is wrong>" (line 0: the whole file)."""


class ModelDirError(UserError):
    """A model directory that cannot be used (missing, damaged or tampered file); the message names
    the file."""


class WriteError(OSError):
    """An output that cannot be written; the message is one line naming the file."""


USER_ERRORS: tuple[type[BaseException], ...] = (UserError, WriteError, FileNotFoundError)
