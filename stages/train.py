"""train@<run>: fit one run's model → models/<run>/ (+ dvclive curves)."""

from _common import main
from tweetgeo.io import read_json
from tweetgeo.train import train_run


def stage(params, argv):
    if argv[0] not in params.runs:
        raise SystemExit(f"error: unknown run {argv[0]!r}")
    out = train_run(params, argv[0])
    print(f"trained {argv[0]} → {out}")
    summary = read_json(out / "train_summary.json") if (out / "train_summary.json").exists() else {}
    return {"rows": summary.get("train_rows"), "best_epoch": summary.get("best_epoch"),
            "epochs_run": summary.get("epochs_run")}


if __name__ == "__main__":
    main(stage)
