"""dvc.yaml spells the same artifact paths as src/tweetgeo/paths.py."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import yaml

from tweetgeo import paths
from tweetgeo.paths import LIBRARY_FINGERPRINT

ROOT = Path(__file__).resolve().parents[1]


def _stage(name: str) -> dict:
    stage = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"][name]
    return stage.get("do", stage)


def _paths(entries: list) -> set[str]:
    return {next(iter(e)) if isinstance(e, dict) else e for e in entries}


def test_paths_agree():
    key, run = "${key}", "${key}"
    assert str(paths.prepared(key)) in _paths(_stage("prepare")["outs"])
    assert str(paths.quality_report(key)) in _paths(_stage("prepare")["outs"])
    assert str(paths.clean(key)) in _paths(_stage("clean")["outs"])
    assert str(paths.eda_dir(key)) in _paths(_stage("clean")["outs"])
    assert str(paths.labels_dir(key)) in _paths(_stage("labels")["outs"])
    for kind in ("word2vec", "glove", "tfidf", "raw"):
        assert str(paths.features_dir(key, kind)) in _paths(_stage("embed")["outs"])
    assert str(paths.features_dir("${item}", "encoder")) in _paths(_stage("encode")["outs"])
    assert str(paths.model_dir(run)) in _paths(_stage("train")["outs"])
    assert str(paths.training_log_dir(run)) in _paths(_stage("train")["outs"])
    assert str(paths.metrics_file(run)) in _paths(_stage("evaluate")["metrics"])
    assert str(paths.details_file(run)) in _paths(_stage("evaluate")["outs"])
    assert str(paths.predictions_dir(run)) in _paths(_stage("evaluate")["outs"])
    assert str(paths.plots_dir(run)) in _paths(_stage("evaluate")["outs"])
    assert str(paths.report_file()) in _paths(_stage("report")["outs"])
    assert str(paths.model_dir(run, ensemble=True)) in _paths(_stage("ensemble")["outs"])
    assert str(paths.model_dir(run, ensemble=True)) in _paths(_stage("evaluate_ensemble")["deps"])


def test_a_run_depends_on_its_own_feature_kind_only():
    """train and evaluate read `data/features/<dataset>/<features>`: a TF-IDF change leaves the
    word2vec runs alone. Every kind a run can name (but an ensemble's `members`) is some stage's output."""
    from tweetgeo.models.registry import FEATURE_KINDS

    own = str(paths.features_dir("${item.dataset}", "${item.features}"))
    for name in ("train", "evaluate"):
        deps = _paths(_stage(name)["deps"])
        assert own in deps and not {d for d in deps if d.startswith("data/features") and d != own}, name
    outs = _paths(_stage("embed")["outs"]) | {p.replace("${item}", "${key}") for p in _paths(_stage("encode")["outs"])}
    for kind in set(FEATURE_KINDS) - {"members"}:
        assert str(paths.features_dir("${key}", kind)) in outs, kind
    for name in ("ensemble", "evaluate_ensemble"):  # members read several kinds
        assert "data/features/${item.dataset}" in _paths(_stage(name)["deps"])


def test_an_ensemble_runs_after_every_trained_run_and_reads_its_members_only():
    """Its members are runs of `runs`: stage members@<ensemble> depends on all of models/ (so it runs
    after every train stage) and hashes the members' folders, which the ensemble depends on."""
    from tweetgeo.stage_params import STAGE_PARAMS

    members, ensemble = _stage("members"), _stage("ensemble")
    assert "models" in members["deps"] and str(paths.members_fingerprint("${key}")) in _paths(members["outs"])
    assert str(paths.members_fingerprint("${key}")) in ensemble["deps"] and "models" not in ensemble["deps"]
    assert {"runs.{members}", "models.{member_models}", "ensembles.{key}"} <= set(STAGE_PARAMS["ensemble"])
    assert not any(str(out).startswith("models") for out in _paths(ensemble["outs"]))


def test_every_stage_script_is_a_dependency():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        body = stage.get("do", stage)
        script = body["cmd"].split()[1]
        if script.startswith("stages/"):
            assert script in body["deps"], f"{name}: {script} not in deps"
            assert (ROOT / script).exists()


def _imported_modules(path: Path, lazy: bool = True) -> set[str]:
    """tweetgeo modules a file imports (with `lazy`, also inside functions); never type-checking-only ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
            and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING") for n in ast.walk(node)}
    if not lazy:
        skip |= {id(n) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                 for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tweetgeo")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tweetgeo"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}  # `from tweetgeo import paths`
    return found


def _module_file(module: str) -> Path | None:
    base = ROOT / "src" / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def library_files_used(script: Path, model_code: bool) -> set[Path]:
    """Every tweetgeo source file a stage script can run: its imports, transitively (also those inside
    functions); importing the model registry pulls in every family module (they are discovered, not
    imported by name). Without `model_code` the stage only validates model options: the functions of
    tweetgeo/models/ (building, training, loading) never run, so their imports are not followed."""
    common = ROOT / "stages" / "_common.py"  # every stage script but fingerprint.py starts through it
    todo, seen = [script, *([common] if "from _common import" in script.read_text() else [])], set()
    models = ROOT / "src/tweetgeo/models"
    families = sorted((models / "families").glob("*.py"))
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _imported_modules(path, lazy=model_code or not path.is_relative_to(models)):
            file = _module_file(module)
            if file is not None:
                todo.append(file)
                for parent in module.split(".")[1:-1]:  # importing a.b.c runs a/b/__init__.py
                    init = ROOT / "src" / "tweetgeo" / parent / "__init__.py"
                    if init.exists():
                        todo.append(init)
            if module == "tweetgeo.models.registry":
                todo += families
    return {p for p in seen if p.is_relative_to(ROOT / "src") or p.name == "_common.py"}


def _covered(file: Path, deps: list[str]) -> bool:
    rel = file.relative_to(ROOT)
    return any(rel == Path(d) or Path(d) in rel.parents for d in deps)


def test_stages_read_their_library_through_a_fingerprint():
    """No library path listed per stage (DVC checks each path of each stage, and the ~70 train/evaluate
    stages keep dvc.lock small): each kind of stage depends on its fingerprint, which the stage
    `fingerprint` writes from vars `sources`; it and check_params read all of src/tweetgeo."""
    from tweetgeo.fingerprint import stage_sources

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    kinds = stage_sources(ROOT / "dvc.yaml")
    for name, stage in stages.items():
        deps = stage.get("do", stage)["deps"]
        if name in ("check_params", "fingerprint"):
            assert "src/tweetgeo" in deps, name
            continue
        kind = "library" if name in ("train", "evaluate", "ensemble", "evaluate_ensemble") else name
        assert kind in kinds and str(paths.fingerprint_file(kind)) in deps, name
        assert not [d for d in deps if d.startswith("src/")], name
    assert str(paths.FINGERPRINTS_DIR) in [str(o) for o in stages["fingerprint"]["outs"]]
    assert LIBRARY_FINGERPRINT == paths.fingerprint_file("library")


def test_deps_list_every_library_file_a_stage_runs():
    """dvc.yaml's promise: editing a library file re-runs every stage that uses it."""
    from tweetgeo.fingerprint import stage_sources

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    missing = {}
    for name, stage in stages.items():
        body = stage.get("do", stage)
        words = body["cmd"].split()
        script = (ROOT / words[1]) if words[1].startswith("stages/") else _module_file(words[2])
        deps = list(body.get("deps", []))
        for kind, files in stage_sources(ROOT / "dvc.yaml").items():
            if str(paths.fingerprint_file(kind)) in deps:  # the fingerprint stands for its files
                deps += files
        model_code = "src/tweetgeo/models" in deps
        lacking = sorted(str(f.relative_to(ROOT)) for f in library_files_used(script, model_code)
                         if f.name != "__init__.py" or f.parent.name != "tweetgeo"
                         if not _covered(f, deps))
        if lacking:
            missing[name] = lacking
    assert not missing, f"dvc.yaml deps miss library files their stage runs: {missing}"


# A params.yaml value per section that resolve_run could read into a run's spec (which the model
# card keeps, and `tweetgeo predict` and the ensembles' stale-member check use), with a new value.
SPEC_SOURCES = [("seed", 7), ("clean.lowercase", False), ("datasets.disaster.clean.urls", "keep"),
                ("evaluate.decoding_top_k", 7), ("evaluate.bootstrap", 7), ("encoder.max_tokens", 32),
                ("encoder.precision", "float32"), ("encoder.batch_size", 7), ("train.epochs", 3),
                ("train_presets.tweets.epochs", 3),
                ("models.bigru.cell", "lstm"), ("labels.kdtree.bucket_size", 7),
                ("embeddings.word2vec.epochs", 3), ("levers.datasets", ["disaster"])]


def _param_declared(key: str, declared: list[str]) -> bool:
    """Whether a stage's params keys (stage_params.stage_keys, templates filled in) include `key`."""
    return any(key == name or key.startswith(name + ".") for name in declared)


def _with(data: dict, key: str, value) -> dict:
    """A copy of params.yaml's mapping with the dotted `key` set to `value`."""
    changed = copy.deepcopy(data)
    *parents, last = key.split(".")
    node = changed
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return changed


def _declared_keys(shipped: dict, stage: str, run: str) -> list[str]:
    from tweetgeo.stage_params import stage_items, stage_keys

    names = next(names for name, item, names in stage_items(shipped) if (name, item) == (stage, run))
    return stage_keys(stage, names)


def test_train_and_ensemble_stages_depend_on_every_param_their_spec_holds():
    """A value that changes a run's spec must re-run its train stage; else its card (and predict)
    keep the old value, and `dvc exp run -S` of it changes nothing (evaluate.decoding_top_k once)."""
    from tweetgeo.config import parse_params
    from tweetgeo.runspec import resolve_run

    shipped = yaml.safe_load((ROOT / "params.yaml").read_text())
    member = shipped["ensembles"]["disaster-ensemble"]["members"][-1]
    sources = [*SPEC_SOURCES, (f"runs.{member}.train.epochs", 3)]
    for stage, run in (("train", "disaster-bigru"), ("ensemble", "disaster-ensemble")):
        declared = _declared_keys(shipped, stage, run)
        before = resolve_run(parse_params(shipped), run).stamp()
        for key, value in sources:
            if resolve_run(parse_params(_with(shipped, key, value)), run).stamp() != before:
                assert _param_declared(key, declared), (stage, key)


def test_an_ensemble_reads_no_entry_of_runs_it_does_not_have_as_member():
    """Its params file holds its members' entries only: another run's change leaves it alone, and
    that is right because the ensemble's spec (kept in its card) does not change either."""
    from tweetgeo.config import parse_params
    from tweetgeo.runspec import resolve_run

    shipped = yaml.safe_load((ROOT / "params.yaml").read_text())
    for name, entry in shipped["ensembles"].items():
        declared = _declared_keys(shipped, "ensemble", name)
        before = resolve_run(parse_params(shipped), name).stamp()
        others = [run for run in shipped["runs"] if run not in entry["members"]]
        assert others and not any(_param_declared(f"runs.{run}", declared) for run in others), name
        for run in others:
            changed = _with(shipped, f"runs.{run}.train.epochs", 3)
            assert resolve_run(parse_params(changed), name).stamp() == before, (name, run)
