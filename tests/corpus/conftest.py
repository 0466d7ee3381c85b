"""Makes the corpus harness importable by the corpus tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
