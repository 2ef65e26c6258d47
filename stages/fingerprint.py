"""fingerprint: the sha256 of the library files each kind of stage runs (dvc.yaml vars `sources`),
one file per kind that its stages depend on (src/tweetgeo/fingerprint.py says why)."""

from pathlib import Path

from tweetgeo.fingerprint import stage_sources, write_fingerprints
from tweetgeo.paths import FINGERPRINTS_DIR

if __name__ == "__main__":
    write_fingerprints(stage_sources(Path("dvc.yaml")), FINGERPRINTS_DIR)
