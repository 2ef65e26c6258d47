"""evaluate@<run>: metrics with CIs on validation and test, predictions, plots."""

import json

from _common import main
from tweetgeo.evaluate import evaluate_run
from tweetgeo.runspec import resolve_run


def stage(params, argv):
    result = evaluate_run(resolve_run(params, argv[0]), params.evaluate.bootstrap)
    print(json.dumps({k: v for k, v in result.items() if k in ("validation", "test")}, indent=1)[:2000])


if __name__ == "__main__":
    main(stage)
