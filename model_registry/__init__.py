"""Rating models on MLflow: a ``nongxin`` flavor, versions, champion/challenger, gated promotion.

::

    RatingModel            cards + mode + cut-offs + calibration + knockouts + reasons  bundle
    train_rating_model     scorecard engine defaults, expert calibration, stable hold-out train
    save_model/load_model  the ``nongxin`` flavor (plain JSON parts, checksums, pyfunc)  flavor
    ModelRegistry          register with lineage tags, list, show, compare, aliases     registry
    promote / rollback     validation gate, approver + evidence tags, history           promotion
    ChampionLoader         cached champion for serving, health() for /readyz            serving

Store
    Embedded by default: SQLite ``<NONGXIN_HOME>/mlflow/mlflow.db`` with artifacts under
    ``<NONGXIN_HOME>/mlflow/artifacts`` — no server. With ``MLFLOW_TRACKING_URI`` set (e.g. an
    ``mlflow server``), the same code talks to that registry.

Aliases
    ``champion`` / ``challenger`` federation-wide; ``champion-301`` / ``challenger-301`` when
    bank 301 has its own model. Serving for a bank resolves its own alias first, then the
    federation's.

Promotion evidence
    The test set is the hold-out logged with each version at registration
    (``evidence/validation.parquet`` in its run; the hold-out is chosen by a stable hash of
    ``household_id``, so versions trained on the same population share it), or a file given
    at promotion (``--validation``). The recent population (``--recent``) is always given.
    Thresholds come from the red lines (``model_validation`` in ``config/federation.yaml``).
    Approver and evidence become version tags; every alias move is appended to the model's
    ``nongxin.history.NNNNNN-<random>`` tags, since MLflow keeps no alias history.

Errors: see :mod:`model_registry.exceptions`.
"""

from model_registry.bundle import DevelopmentProfile, RatingModel
from model_registry.exceptions import (
    EvidenceError,
    ModelFormatError,
    ModelNotFound,
    PromotionRefused,
    RegistryError,
    RegistryUnavailable,
)
from model_registry.gate import CheckResult, GateReport, GateThresholds, run_gate
from model_registry.lineage import LINEAGE_TAGS, Lineage
from model_registry.promotion import HistoryEvent, history, promote, rollback
from model_registry.registry import ModelRegistry, VersionInfo, alias_name
from model_registry.serving import ChampionLoader, LoadedModel
from model_registry.settings import RegistrySettings
from model_registry.train import TrainingResult, train_rating_model

__all__ = [
    "LINEAGE_TAGS",
    "ChampionLoader",
    "CheckResult",
    "DevelopmentProfile",
    "EvidenceError",
    "GateReport",
    "GateThresholds",
    "HistoryEvent",
    "Lineage",
    "LoadedModel",
    "ModelFormatError",
    "ModelNotFound",
    "ModelRegistry",
    "PromotionRefused",
    "RatingModel",
    "RegistryError",
    "RegistrySettings",
    "RegistryUnavailable",
    "TrainingResult",
    "VersionInfo",
    "alias_name",
    "history",
    "promote",
    "rollback",
    "run_gate",
    "train_rating_model",
]
