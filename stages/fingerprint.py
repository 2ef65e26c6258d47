"""fingerprint: the sha256 of every library file the train and evaluate stages run, in one file
they depend on (src/tweetgeo/fingerprint.py says why)."""

from pathlib import Path

from tweetgeo.fingerprint import stage_deps, write_fingerprint
from tweetgeo.paths import LIBRARY_FINGERPRINT

if __name__ == "__main__":
    write_fingerprint(stage_deps(Path("dvc.yaml"), "fingerprint"), LIBRARY_FINGERPRINT)
