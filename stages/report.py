"""report: one comparison table of every run (and the source systems) → reports/README.md."""

from _common import main
from tweetgeo import paths
from tweetgeo.report import write_report


def stage(params, argv):
    write_report(params)
    print(f"wrote {paths.report_file()}")


if __name__ == "__main__":
    main(stage)
