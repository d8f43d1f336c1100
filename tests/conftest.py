import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def generated_release(tmp_path_factory):
    """release/ as nbgrader generates it from source/, built in a scratch copy of the course."""
    from course.grading.build import build

    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "source", course / "source")
    build(root=course)
    return course / "release"
