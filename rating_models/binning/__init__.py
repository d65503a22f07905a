"""WOE binning: bin definitions, binning tables and the ``WOEBinning`` estimator."""

from rating_models.binning.bins import Bin, FeatureBins, categorical_bins, numeric_bins
from rating_models.binning.estimator import WOEBinning
from rating_models.binning.table import BinningTable

__all__ = [
    "Bin",
    "BinningTable",
    "FeatureBins",
    "WOEBinning",
    "categorical_bins",
    "numeric_bins",
]
