import importlib
import json
import pkgutil
import subprocess
import sys

import triggers
from triggers.spec import KIND_MODULES, Spec


def registered_kinds() -> dict[str, str]:
    for module in pkgutil.walk_packages(triggers.__path__, "triggers."):
        importlib.import_module(module.name)
    kinds: dict[str, str] = {}
    pending: list[type] = [Spec]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if getattr(sub, "kind", "") and sub.__module__.startswith("triggers.") and "registry" not in sub.__dict__:
                kinds[sub.kind] = sub.__module__
    return kinds


def test_kind_modules_names_where_every_shipped_kind_is_defined() -> None:
    shipped = {kind: module for kind, module in registered_kinds().items() if kind != "field"}
    assert shipped == KIND_MODULES


def test_a_fresh_triggerer_rebuilds_a_nested_kind_by_importing_only_its_module(tmp_path) -> None:
    # A composed check as a triggerer receives it: nothing has imported triggers.files yet.
    nested = {"kind": "all_of", "conditions": {"x": {"kind": "file", "path": str(tmp_path / "x.csv")}}}
    script = f"""
import json, sys
from triggers.checks import Check
check = Check.from_dict(json.loads({json.dumps(json.dumps(nested))}))
print(type(check).__name__, "triggers.orders.checks" in sys.modules)
"""
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["AllOf", "False"]
