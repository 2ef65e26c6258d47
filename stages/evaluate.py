"""evaluate@<run>: metrics with CIs on validation and test, predictions, plots."""

from _common import main
from tweetgeo.evaluate import evaluate_run
from tweetgeo.runspec import resolve_run
from tweetgeo.timing import headline


def stage(params, argv):
    result = evaluate_run(resolve_run(params, argv[0]), params.evaluate.bootstrap)
    for split in ("validation", "test"):
        if isinstance(result.get(split), dict):
            print(f"{argv[0]} {split}: {headline(result[split])}")
    return {"rows": sum(int(result[s].get("rows", 0)) for s in ("validation", "test")
                        if isinstance(result.get(s), dict))}


if __name__ == "__main__":
    main(stage)
