"""train@<run>: fit one run's model → models/<run>/ (+ dvclive curves)."""

from _common import main
from tweetgeo.runspec import resolve_run
from tweetgeo.train import train_run


def stage(params, argv):
    print(f"trained {argv[0]} → {train_run(resolve_run(params, argv[0]))}")


if __name__ == "__main__":
    main(stage)
