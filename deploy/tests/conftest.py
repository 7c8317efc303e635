"""The chart's tests share chart_support.py (imported by name: pytest runs with importlib)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
