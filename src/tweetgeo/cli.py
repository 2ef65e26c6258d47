"""`tweetgeo` command line: predict with a trained run, check parameters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _predict(args: argparse.Namespace) -> str:
    from tweetgeo.predict import predict_csv

    n = predict_csv(Path(args.model), Path(args.input), Path(args.output))
    return f"wrote {n} predictions to {args.output}"


def _check(args: argparse.Namespace) -> str:
    from tweetgeo.config import load_params

    params = load_params(args.params)
    return f"{args.params}: valid ({len(params.datasets)} data sets, {len(params.runs)} runs)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tweetgeo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="predict for a CSV with a `text` column")
    p.add_argument("--model", required=True, help="a trained run directory, models/<run>")
    p.add_argument("--input", required=True, help="CSV with a `text` column (and optional `id`)")
    p.add_argument("--output", required=True, help="CSV to write, one row per input row")
    p.set_defaults(func=_predict)
    c = sub.add_parser("check-params", help="validate params.yaml")
    c.add_argument("--params", default="params.yaml")
    c.set_defaults(func=_check)
    args = parser.parse_args(argv)
    from tweetgeo.errors import USER_ERRORS

    try:
        print(args.func(args))
    except USER_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
