"""train@<run>: fit one run's model → models/<run>/ (+ dvclive curves)."""

from _common import main
from tweetgeo import paths
from tweetgeo.io import read_json
from tweetgeo.runspec import resolve_run
from tweetgeo.train import train_run


def stage(params, argv):
    out = train_run(resolve_run(params, argv[0]))
    print(f"trained {argv[0]} → {out}")
    summary = read_json(paths.train_summary(out)) if paths.train_summary(out).exists() else {}
    return {"rows": summary.get("train_rows"), "best_epoch": summary.get("best_epoch"),
            "epochs_run": summary.get("epochs_run")}


if __name__ == "__main__":
    main(stage)
