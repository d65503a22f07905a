"""Entry file for ``spark-submit``: ``spark-submit … submit.py --all --input … --engine spark``.

spark-submit wants a ``.py`` primary resource; this one runs ``nongxin rerate`` with the
arguments given, inside the session spark-submit configured (see ``docs/spark.md``).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("NONGXIN_SPARK_MASTER", "")  # the cluster's master, not local[2]
    from scoring_service.cli import main

    main(["rerate", *sys.argv[1:]])
