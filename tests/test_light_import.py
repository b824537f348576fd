"""`import batchkit` must stay light: numpy only, no plotting or notebook machinery."""

import json
import subprocess
import sys

HEAVY = ("matplotlib", "ipywidgets", "IPython", "sklearn", "torch", "pandas", "scipy")


def test_import_batchkit_loads_no_heavy_module():
    code = "import sys, json, batchkit; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    assert not loaded & set(HEAVY), f"import batchkit loaded {sorted(loaded & set(HEAVY))}"
