"""Shared start of every stage script: params loaded and validated, errors as one line."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tweetgeo.config import ConfigError, Params, load_params


def main(stage: Callable[[Params, list[str]], None]) -> None:
    """Run `stage(params, argv)`; known input errors exit 1 with their message, no traceback."""
    from tweetgeo.errors import USER_ERRORS

    try:
        stage(load_params(), sys.argv[1:])
    except ConfigError as err:
        sys.exit(f"error: {err}")
    except USER_ERRORS as err:
        sys.exit(f"error: {err}")
