"""Set up nbgrader's exchange for a JupyterHub course and print the students' nbgrader_config.py.

On a JupyterHub, nbgrader's Assignment List (students: fetch, submit, fetch feedback) and the
instructor's ``nbgrader release_assignment``, ``collect`` and ``release_feedback`` move files
through the exchange, a folder every user can write (``c.Exchange.root`` in grader_config.py,
``/srv/nbgrader/exchange`` unless ``NBGRADER_EXCHANGE`` says otherwise). This command creates
that folder with the permissions nbgrader expects (world-writable with the sticky bit, as
``/tmp``) and prints the configuration every student's server must load (for instance as
``/etc/jupyter/nbgrader_config.py`` in the single-user image): the same ``course_id`` and exchange
root, and the Assignment List enabled rather than Formgrader.
"""
import os
import stat
import sys
from pathlib import Path

from .nbapi import ROOT, course_config

STUDENT_CONFIG = '''# nbgrader configuration of the students' servers for the course {course_id!r}
# (written by `python -m course hub-config`; put it in /etc/jupyter/nbgrader_config.py)
c = get_config()
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
'''


def exchange_settings(root=ROOT):
    """``(course_id, exchange root)`` of the course folder's configuration."""
    config = course_config(root)
    exchange = config.Exchange.root if "root" in config.Exchange else "/srv/nbgrader/exchange"
    return config.CourseDirectory.course_id, str(exchange)


def student_config(root=ROOT):
    """The text of the students' nbgrader_config.py."""
    course_id, exchange = exchange_settings(root)
    return STUDENT_CONFIG.format(course_id=course_id, exchange=exchange)


def ensure_exchange(path):
    """Create the exchange folder (mode 1777, like /tmp) unless it exists; returns a problem
    with an existing one, or None."""
    path = Path(path)
    if not path.exists():
        path.mkdir(parents=True)
        path.chmod(0o1777)
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o777 != 0o777:
        return f"{path} has mode {mode:o}: students cannot write it (chmod 1777 {path})"
    return None


def add_arguments(parser):
    parser.add_argument("--create", action="store_true", help="create the exchange folder (mode 1777) if it is missing")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def run(args):
    course_id, exchange = exchange_settings(args.root)
    if args.create:
        try:
            problem = ensure_exchange(exchange)
        except OSError as error:
            problem = f"cannot create {exchange}: {error}"
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
    elif not os.path.isdir(exchange):
        print(f"note: the exchange {exchange} does not exist yet (run with --create as root)", file=sys.stderr)
    sys.stdout.write(student_config(args.root))
    return 0
