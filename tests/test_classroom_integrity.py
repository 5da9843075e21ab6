"""Tests of lrcourse.classroom.integrity: the imports a source protects."""

from __future__ import annotations

from lrcourse.classroom import integrity
from lrcourse.classroom.worker import preload_modules


def test_protected_imports_are_the_sources_top_level_imports():
    imports = integrity.protected_imports([
        "from __future__ import annotations\nimport numpy as np\nx = 1",
        "from lrcourse.grading.ex01 import check_gd_step\ncheck_gd_step(gd_step)",
        "import numpy as np", "def broken(:", "%matplotlib inline\nimport math"])
    assert imports == ["import numpy as np", "from lrcourse.grading.ex01 import check_gd_step",
                       "import math"]
    assert preload_modules(imports) == ["numpy", "lrcourse.grading.ex01", "math"]
