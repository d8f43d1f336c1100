"""One way to reach nbgrader's Python API with a course folder's own configuration.

A course folder is configured by its ``grader_config.py`` (or, in a plain nbgrader course, its
``nbgrader_config.py``). Every command works on the folder given by ``--root`` with that folder's
configuration, so one installed ``course`` package serves several course folders (one per term,
each with its own ``course_id`` and ``db_url``). A folder with neither file (a scratch copy of
``source/``) gets the configuration of this checkout.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILES = ("grader_config.py", "nbgrader_config.py")


def config_file(root=ROOT):
    """The configuration file that ``course_config(root)`` loads: the folder's own
    ``grader_config.py`` or ``nbgrader_config.py``, else this checkout's ``grader_config.py``."""
    for name in CONFIG_FILES:
        if (Path(root) / name).is_file():
            return Path(root).resolve() / name
    return ROOT / CONFIG_FILES[0]


def course_config(root=ROOT, **overrides):
    """The traitlets config of the course folder ``root`` (see ``config_file``), rooted at
    ``root``; ``overrides`` as ``{"Section": {"trait": value}}`` take precedence."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = config_file(root)
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    config.CourseDirectory.root = str(Path(root).resolve())
    config.merge(Config(overrides))
    return config


def nbgrader_api(root=ROOT, **overrides):
    """An ``NbGraderAPI`` for the course at ``root``."""
    # nbgrader shells out to `alembic` when it creates a gradebook: the venv's bin must be on PATH.
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    quiet_sqlalchemy()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(root, **overrides)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def quiet_sqlalchemy():
    """Silence SQLAlchemy's ``SAWarning`` lines that nbgrader's gradebook models raise on every
    run (relationship overlaps, cartesian products of its score queries): they are nbgrader's,
    say nothing about the course, and bury the lines that do."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)
