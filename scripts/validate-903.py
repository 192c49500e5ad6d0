"""Runs the DfE SSDA903 validation rules (PyPI csc-validator-be-903, pinned by scripts/test)
over Homeward's header.csv, episodes.csv and missing.csv in DIR and prints one JSON object:
{"errors": [{"rule", "table", "row", "child", "message"}], "failed_rules": [...]}.

Usage: python validate-903.py DIR COLLECTION_YEAR LA_CODE   (e.g. out 2025-26 E09000025)
"""

import contextlib
import copy
import importlib
import io
import json
import logging
import sys

import pandas as pd
from lac_validator import datastore, lac_validator
from lac_validator.report import Report


def main() -> int:
    folder, year, la = sys.argv[1], sys.argv[2], sys.argv[3]
    logging.disable(logging.CRITICAL)
    start = int(year[:4])
    files = []
    for table in ("header", "episodes", "missing"):
        with open(f"{folder}/{table}.csv", "rb") as f:
            files.append(
                dict(name=f"{table}.csv", description="This year", file_content=f.read())
            )
    # The package reads the collection as ending on 31 March of collectionYear.
    metadata = {"collectionYear": str(start + 1), "localAuthority": la}
    ruleset = f"lac{start}_{(start + 1) % 100:02d}"
    registry = getattr(importlib.import_module(f"lac_validator.rules.{ruleset}"), "registry")
    # The package's own copy of the tables for each rule is shallow, so a rule that fills in
    # blank dates changes them for the rules after it (open episodes then look ended); give
    # each rule a deep copy, as the package intends.
    lac_validator.copy_datastore = copy.deepcopy
    # The package's postcode file has 2023 ONS codes but its authority table predates them:
    # Barnsley and Sheffield (recoded E08000038 and E08000039 in 2023) would be unplaceable.
    recoded = {"E08000038": "E08000016", "E08000039": "E08000019"}
    extra = datastore.la_df[datastore.la_df["LTLA21CD"].isin(recoded.values())].copy()
    extra["LTLA21CD"] = extra["LTLA21CD"].map({v: k for k, v in recoded.items()})
    datastore.la_df = pd.concat([datastore.la_df, extra], ignore_index=True)
    # The package prints to standard output while it reads; keep ours one JSON object.
    with contextlib.redirect_stdout(io.StringIO()):
        v = lac_validator.LacValidator(
            metadata=metadata, files=files, registry=registry, selected_rules=None
        )
    errors = []
    for table, df in v.ds_results.items():
        if not hasattr(df, "columns"):
            continue
        for col in [c for c in df.columns if str(c).startswith("ERR_")]:
            code = col[4:]
            for idx, row in df[df[col] == True].iterrows():  # noqa: E712
                errors.append(
                    {
                        "rule": code,
                        "table": table,
                        "row": int(idx),
                        "child": str(row.get("CHILD", "")),
                        "message": registry[code].message if code in registry else "",
                    }
                )
    print(json.dumps({"errors": errors, "failed_rules": v.fails, "ruleset": ruleset}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
