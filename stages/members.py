"""members@<ensemble>: the sha256 of its member runs' trained folders, the ensemble stage's dependency
in place of all of models/, so retraining a run that is not a member leaves the ensemble alone."""

from _common import main
from tweetgeo import paths
from tweetgeo.fingerprint import write_fingerprint


def stage(params, argv):
    members = params.ensembles[argv[0]].members
    write_fingerprint([paths.model_dir(member) for member in members], paths.members_fingerprint(argv[0]))
    return {"rows": len(members)}


if __name__ == "__main__":
    main(stage)
