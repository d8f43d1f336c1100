"""Import the class list into the gradebook: names, ids and emails (``course roster students.csv``).

The CSV has a header row. Its columns are nbgrader's (``nbgrader db student import`` reads the
same file): ``id``, ``first_name``, ``last_name``, ``email``, ``lms_user_id``; only ``id`` is
required. Common LMS spellings are understood too: ``student_id``, ``login``, ``username`` or
``SIS Login ID`` for the id, ``first name``/``given name``, ``last name``/``surname``/``family name``,
``Canvas user ID``/``ID`` (next to another id column) for ``lms_user_id``, and a single
``name``/``Student`` column (``Last, First`` or ``First Last``).

A student already in the gradebook is updated (a blank cell keeps what is there); a new one is
added. With the roster in, Formgrader shows names instead of "None, None", the report and the
exports carry them, and the report lists who has not submitted. Rows without an id, or with an id
that cannot name a folder, are listed and make the command exit 1.
"""
import csv
import re
import sys
from pathlib import Path

from .nbapi import ROOT, nbgrader_api

FIELDS = {
    "id": ("student_id", "student id", "login", "login_id", "username", "user", "sis login id", "userid"),
    "first_name": ("first_name", "first name", "firstname", "given name", "given_name"),
    "last_name": ("last_name", "last name", "lastname", "surname", "family name", "family_name"),
    "email": ("email", "e-mail", "email address", "mail"),
    "lms_user_id": ("lms_user_id", "lms user id", "canvas user id", "canvas_user_id"),
}
FULL_NAME = ("name", "student", "full name", "full_name")
BAD_ID = re.compile(r"[\x00-\x1f\x7f/\\]|^\.\.?$|^\s|\s$")


class RosterError(ValueError):
    """The file is not a roster (no header with an id column)."""


def _columns(header):
    """``{field: column index}`` for the header row."""
    lower = [h.strip().lower() for h in header]
    found = {}
    for name, aliases in FIELDS.items():
        for alias in aliases:
            if alias in lower:
                found[name] = lower.index(alias)
                break
    if "id" in lower:  # nbgrader's id, or Canvas's own user id next to the login
        if "id" not in found:
            found["id"] = lower.index("id")
        elif "lms_user_id" not in found:
            found["lms_user_id"] = lower.index("id")
    for alias in FULL_NAME:
        if alias in lower:
            found["name"] = lower.index(alias)
            break
    if "id" not in found:
        raise RosterError(f"no id column in the header {header} (expected one of: id, {', '.join(FIELDS['id'])})")
    return found


def _split_name(name):
    name = name.strip()
    if "," in name:
        last, first = (p.strip() for p in name.split(",", 1))
        return first, last
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (name, "")


def read_roster(path):
    """``(students, problems)``: ``students`` is ``[{"id", "first_name", "last_name", "email",
    "lms_user_id"}]`` (absent fields left out), ``problems`` is ``[(line number, reason)]``."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise RosterError(f"{path} is empty")
    columns = _columns(rows[0])
    students, problems, seen = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        cell = {f: row[i].strip() for f, i in columns.items() if i < len(row) and row[i].strip()}
        if cell.get("id", "").lower() == "points possible" or row[0].strip().lower() == "points possible":
            continue  # the second row of a Canvas gradebook export
        student_id = cell.get("id")
        if not student_id:
            problems.append((number, "no student id"))
            continue
        if BAD_ID.search(student_id):
            problems.append((number, f"{student_id!r} cannot be a student id"))
            continue
        if student_id in seen:
            problems.append((number, f"{student_id} is listed twice (first on line {seen[student_id]})"))
            continue
        seen[student_id] = number
        if "name" in cell and not ("first_name" in cell or "last_name" in cell):
            cell["first_name"], cell["last_name"] = _split_name(cell["name"])
        cell.pop("name", None)
        students.append({k: v for k, v in cell.items() if v})
    return students, problems


def import_roster(path, root=ROOT):
    """Add or update the roster's students in the gradebook; returns ``(added, updated, problems)``
    (lists of student ids, and ``[(line, reason)]``)."""
    students, problems = read_roster(path)
    added, updated = [], []
    with nbgrader_api(root).gradebook as gb:
        existing = {s.id for s in gb.students}
        for student in students:
            fields = {k: v for k, v in student.items() if k != "id"}
            gb.update_or_create_student(student["id"], **fields)
            (updated if student["id"] in existing else added).append(student["id"])
    return added, updated, problems


def names(gradebook):
    """``{student id: "First Last"}`` of the students whose gradebook entry has a name."""
    out = {}
    for s in gradebook.students:
        full = " ".join(p for p in (s.first_name, s.last_name) if p)
        if full:
            out[s.id] = full
    return out


def add_arguments(parser):
    parser.add_argument("csv", type=Path, help="the class list (CSV with a header row, see above)")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def run(args):
    try:
        added, updated, problems = import_roster(args.csv, args.root)
    except (OSError, RosterError, csv.Error, UnicodeDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"roster: {len(added)} students added, {len(updated)} updated in the gradebook of {args.root}")
    if problems:
        print(f"skipped {len(problems)} rows of {args.csv}:")
        for line, reason in problems:
            print(f"  line {line}: {reason}")
        return 1
    return 0
