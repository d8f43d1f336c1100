"""Time limits from the reference: how long each cell of the instructor's notebook takes to grade.

``course build`` (and ``course grade`` when the file is missing or stale) grades every source
notebook once through the real pipeline (sandboxed kernel, trusted runner, ``NBGRADER_EXECUTION``
set) and records the seconds of each cell in ``autograded/reference_timings.json``: generated,
ignored by git, and outside source/ (nbgrader would copy a file there to the students).

A cell is known by its nbgrader ``grade_id`` where it has one (solution, test and read-only cells;
the student's version of a solution cell gets the instructor's time), else by a hash of its
source (the lesson cells, which students do not change).

The rule, applied by ``SandboxedExecute`` (``time_multiple`` and ``time_floor`` in
grader_config.py)::

    limit of a cell      = time_multiple x its reference seconds + time_floor
    a cell not in the reference (one the student added or changed) gets time_floor
    budget of a notebook = time_multiple x the reference notebook's seconds + budget_floor
    no reference for the notebook at all: the old fixed limits (ExecutePreprocessor.timeout,
    SandboxedExecute.notebook_timeout)

File format: ``{"<assignment>/<notebook file>": {"digest": sha256 of the source notebook,
"cells": {key: seconds}, "total": seconds, "sandbox": bool}}``.
"""
import hashlib
import json
import os
import time
from pathlib import Path

import nbformat

FILE = Path("autograded") / "reference_timings.json"


def cell_key(cell):
    """The name of a cell in the timings: its grade_id, else a hash of its source."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    if grade_id:
        return grade_id
    text = "\n".join(line.rstrip() for line in cell.get("source", "").strip().splitlines())
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def cell_limit(seconds, multiple, floor):
    """The time limit of a cell whose reference run took ``seconds`` (``None``: not in the reference)."""
    return floor if seconds is None else multiple * seconds + floor


def notebook_budget(total, multiple, floor):
    """The time budget of a notebook whose reference run took ``total`` seconds in its cells."""
    return multiple * total + floor


def notebook_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def timings_path(root):
    return Path(root) / FILE


def load(root):
    """The recorded timings of the course at ``root`` (``{}`` when there are none)."""
    try:
        return json.loads(timings_path(root).read_text())
    except (OSError, ValueError):
        return {}


def reference(root, assignment, notebook):
    """``{"cells": {key: seconds}, "total": seconds}`` of one source notebook, or ``None`` when
    nothing was recorded or the source notebook changed since (``notebook``: the name without
    .ipynb, as nbgrader's resources give it)."""
    source = Path(root) / "source" / assignment / f"{notebook}.ipynb"
    entry = load(root).get(f"{assignment}/{notebook}.ipynb")
    if not entry or not source.exists() or entry.get("digest") != notebook_digest(source):
        return None
    return entry


def stale(root, assignments):
    """Source notebooks of ``assignments`` with no up-to-date timings."""
    recorded = load(root)
    missing = []
    for assignment in assignments:
        for path in sorted((Path(root) / "source" / assignment).glob("*.ipynb")):
            entry = recorded.get(f"{assignment}/{path.name}")
            if not entry or entry.get("digest") != notebook_digest(path):
                missing.append((assignment, path))
    return missing


def measure(root, assignments, sandbox=None, log=print):
    """Grade each source notebook of ``assignments`` once, as a submission would be graded, and
    record every cell's seconds. ``sandbox``: ``None`` uses bubblewrap when it works here."""
    from .nbapi import course_config
    from .execute import SandboxedExecute
    from .sandbox import SandboxUnavailable, check_sandbox

    if sandbox is None:
        try:
            check_sandbox()
            sandbox = True
        except SandboxUnavailable:
            sandbox = False
    recorded = load(root)
    config = course_config(root)
    saved = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # what nbgrader sets while it grades
    try:
        for assignment, path in [(a, p) for a in assignments
                                 for p in sorted((Path(root) / "source" / a).glob("*.ipynb"))]:
            nb = nbformat.read(path, as_version=4)
            execute = SandboxedExecute(config=config, sandbox=sandbox, use_reference=False)
            started = time.perf_counter()
            execute.preprocess(nb, {"metadata": {"path": str(path.parent)},
                                    "nbgrader": {"assignment": assignment, "notebook": path.stem}})
            seconds = execute.cell_seconds
            cells = {}
            for index, spent in sorted(seconds.items()):
                if nb.cells[index].cell_type != "code":
                    continue
                key = cell_key(nb.cells[index])  # two identical lesson cells share a key: keep the slower
                cells[key] = round(max(spent, cells.get(key, 0.0)), 4)
            recorded[f"{assignment}/{path.name}"] = {
                "digest": notebook_digest(path), "cells": cells, "total": round(sum(seconds.values()), 4),
                "sandbox": sandbox}
            log(f"timed {assignment}/{path.name}: {sum(seconds.values()):.2f} s in cells "
                f"({time.perf_counter() - started:.2f} s with the kernel's start)")
    finally:
        if saved is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = saved
    target = timings_path(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, target)
    return recorded
