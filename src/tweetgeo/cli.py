"""`tweetgeo` command line: predict with a trained run, check parameters.

Everything that can be checked without TensorFlow (the model directory and its card, the
input CSV, the output path) is checked before TensorFlow is imported, so such a failure is
answered at once with one `error:` line and nothing else.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tweetgeo import __version__

STDIO = "-"
PREDICT_HELP = """\
Writes one row per input row: `id`, then for a geo classifier `label, name, confidence, lat,
lon, lat_expected, lon_expected, top5` (lat/lon: the most likely label's point;
lat_expected/lon_expected: the point that minimises the expected distance over the top
labels; top5: the five most likely labels), for the encoder regression `lat, lon`, for a
disaster run `probability, target`; then `empty_after_cleaning` (1 when cleaning left no word,
e.g. an emoji- or URL-only text: its prediction is the model's answer to an empty text), then
the columns named by --keep-columns. `-` as --input or --output reads standard input or writes
standard output (the summary line then goes to standard error)."""


def _split_columns(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _read_input(name: str):
    """The input CSV (standard input for "-") as read_predict_csv's frame."""
    from tweetgeo.datasets import read_predict_csv

    if name == STDIO:
        return read_predict_csv(Path("<stdin>"), sys.stdin.buffer.read())
    return read_predict_csv(Path(name))


def _check_output(inp: str, out: str) -> None:
    """The output must be writable and must not be the input (WriteError)."""
    from tweetgeo.io import WriteError, check_writable

    if out == STDIO:
        return
    if inp != STDIO and (Path(out).resolve() == Path(inp).resolve()
                         or (Path(out).exists() and os.path.samefile(out, inp))):
        raise WriteError(f"{out}: is the input file; refusing to overwrite it (choose another --output)")
    check_writable(Path(out))


def _check_columns(frame, names: list[str], inp: str) -> None:
    from tweetgeo.errors import DataError

    for name in names:
        if name not in frame.columns:
            found = ", ".join(frame.columns)
            raise DataError(f"{'<stdin>' if inp == STDIO else inp}:1: {name}: --keep-columns names "
                            f"a column the input does not have (columns found: {found})")


def _predict(args: argparse.Namespace) -> str:
    from tweetgeo.modelcard import load_card

    load_card(Path(args.model))  # a wrong --model is named before the input is read
    frame = _read_input(args.input)
    _check_output(args.input, args.output)
    _check_columns(frame, args.keep_columns, args.input)
    from tweetgeo.predict import predict_csv

    # the run's files are checked (without TensorFlow) and its model loaded once; with many texts
    # both cores work (predict.answer_frame)
    n = predict_csv(Path(args.model), Path(args.input), Path(args.output),
                    keep_columns=args.keep_columns, frame=frame)
    for warning in frame.attrs.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    summary = f"wrote {n} predictions to {'<stdout>' if args.output == STDIO else args.output}"
    if args.output == STDIO:
        print(summary, file=sys.stderr)
        return ""
    return summary


def _check(args: argparse.Namespace) -> str:
    from tweetgeo.config import params_from_mapping, read_params_mapping

    data = read_params_mapping(args.params)  # read once: validated, then split by stage
    params = params_from_mapping(data, args.params)
    if args.stage_params is not None:  # the stage `check_params`: what each stage reads
        from tweetgeo.profiles import overlaid
        from tweetgeo.stage_params import write_stage_params

        count = write_stage_params(overlaid(data, args.params), Path(args.stage_params))
        print(f"wrote the values {count} stages read to {args.stage_params}/")
    return (f"{args.params}: valid ({len(params.datasets)} data sets, {len(params.runs)} runs, "
            f"{len(params.ensembles)} ensembles)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tweetgeo", description=__doc__.split("\n")[0])
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="predict for a CSV with a `text` column", description=PREDICT_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a trained run directory, models/<run>")
    p.add_argument("--input", required=True,
                   help="CSV with a `text` column (and optional `id`); `-` reads standard input")
    p.add_argument("--output", required=True,
                   help="CSV to write, one row per input row; `-` writes standard output. "
                        "Never the input file; an existing file is replaced only on success")
    p.add_argument("--keep-columns", type=_split_columns, action="extend", default=[],
                   metavar="COL[,COL…]",
                   help="input columns copied into the output, e.g. `text` or `text,user` "
                        "(named input_<col> when a prediction column has that name)")
    p.set_defaults(func=_predict)
    c = sub.add_parser("check-params", help="validate params.yaml")
    c.add_argument("--params", default="params.yaml")
    c.add_argument("--stage-params", metavar="DIR",
                   help="also write the values each dvc.yaml stage reads, one JSON file per stage "
                        "(the stage check_params: data/params)")
    c.set_defaults(func=_check)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from tweetgeo.errors import USER_ERRORS

    try:
        message = args.func(args)
    except USER_ERRORS as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    if message:
        print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
