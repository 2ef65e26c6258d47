"""train@<run>: fit one run's model → models/<run>/ (+ dvclive curves)."""

from _common import main
from tweetgeo.train import train_run


def stage(params, argv):
    if argv[0] not in params.runs:
        raise SystemExit(f"error: unknown run {argv[0]!r}")
    print(f"trained {argv[0]} → {train_run(params, argv[0])}")


if __name__ == "__main__":
    main(stage)
