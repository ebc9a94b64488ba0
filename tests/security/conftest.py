import sys
from pathlib import Path

_CONFORMANCE = str(Path(__file__).resolve().parents[1] / "conformance")
if _CONFORMANCE not in sys.path:
    sys.path.insert(0, _CONFORMANCE)
