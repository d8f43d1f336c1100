"""One way to reach nbgrader's Python API with the course's own configuration."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def course_config(root=ROOT, **overrides):
    """The traitlets config of grader_config.py, rooted at ``root``; ``overrides`` as
    ``{"Section": {"trait": value}}`` take precedence."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("grader_config.py", path=str(ROOT)).load_config()
    config.CourseDirectory.root = str(Path(root).resolve())
    config.merge(Config(overrides))
    return config


def nbgrader_api(root=ROOT, **overrides):
    """An ``NbGraderAPI`` for the course at ``root``."""
    # nbgrader shells out to `alembic` when it creates a gradebook: the venv's bin must be on PATH.
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(root, **overrides)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
