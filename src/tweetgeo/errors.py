"""The errors that mean 'your input is wrong' (shown as one line, no traceback)."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from the user (params, raw data, a model folder); the message names file and field."""


USER_ERRORS: tuple[type[BaseException], ...] = (UserError, FileNotFoundError)
