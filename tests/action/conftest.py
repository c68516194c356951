from __future__ import annotations

import sys
from pathlib import Path

# the fake GitHub server lives with the github tests
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "github"))
