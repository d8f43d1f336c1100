"""Import submissions downloaded from an LMS (a folder or a .zip) into submitted/<student>/<assignment>/.

The files go through nbgrader's zip_collect machinery: ``ZipCollectApp`` with its
``ExtractorPlugin`` (archives are unpacked, archives inside archives too) and a
``FileNameCollectorPlugin`` whose named-group regular expression reads the student id and the
notebook from each file's path inside the download. By default a path matches when it is

    <student>_<anything>_<notebook>      e.g. alice_derivatives.ipynb, bob_1234_5678_derivatives.ipynb
    <student>/<anything>/<notebook>      e.g. alice/derivatives.ipynb, alice/01_derivatives/derivatives.ipynb

where the student id is everything before the first ``_`` or ``/`` and ``<notebook>`` is the file
name of a release notebook; the notebook name tells the assignment. ``--regex`` replaces the
pattern: it must define the groups ``student_id`` and ``file_id`` (the notebook's file name) and may
define ``timestamp``; it is matched against the path relative to the top of the download, with
``/`` separators. Files that match no student and notebook are listed, as are students whose
submission already exists (kept unless ``--force``). macOS resource forks (``__MACOSX/``) and
hidden files are ignored.
"""
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .nbapi import ROOT, course_config

IGNORED = re.compile(r"(^|/)(__MACOSX/|\.)")


@dataclass
class Collected:
    collected: list = field(default_factory=list)   # (student, assignment, notebook, source path)
    unmatched: list = field(default_factory=list)   # (path in the download, reason)
    kept: list = field(default_factory=list)        # (student, assignment): existing submission kept


def release_notebooks(root=ROOT):
    """``{assignment: [notebook file names]}`` of release/ (falling back on source/)."""
    result = {}
    for step in ("release", "source"):
        folder = Path(root) / step
        if folder.is_dir():
            for sub in sorted(folder.iterdir()):
                names = sorted(p.name for p in sub.glob("*.ipynb"))
                if sub.is_dir() and names and sub.name not in result:
                    result[sub.name] = names
    return result


def default_regex(notebooks):
    """The named-group pattern for an assignment whose notebooks are ``notebooks``."""
    alternatives = "|".join(re.escape(n) for n in notebooks)
    return rf"^(?P<student_id>[^/_]+)[_/](?:.*[_/])?(?P<file_id>{alternatives})$"


def _classes():
    """The nbgrader classes, imported late: importing nbgrader's apps costs seconds."""
    from nbgrader.apps import ZipCollectApp
    from nbgrader.plugins import FileNameCollectorPlugin

    class CourseCollector(FileNameCollectorPlugin):
        """Matches the path relative to the top of the download and records what it matched."""

        def setup(self, top, notebooks, seen, unmatched):
            self.top, self.notebooks, self.seen, self.unmatched = top, set(notebooks), seen, unmatched
            self.taken = {}

        def collect(self, submitted_file):
            rel = Path(os.path.relpath(submitted_file, self.top)).as_posix()
            if IGNORED.search(rel):
                self.seen.add(rel)
                return None
            if not submitted_file.endswith(tuple(self.valid_ext)):
                self.unmatched.setdefault(rel, "not a notebook")
                return None
            match = re.match(self.named_regexp, rel)
            if not match or not match.groupdict().get("student_id") or not match.groupdict().get("file_id"):
                self.unmatched.setdefault(rel, "the name carries no student id and release notebook name")
                return None
            info = {k: v for k, v in match.groupdict().items() if v is not None}
            info["file_id"] = Path(info["file_id"]).name
            if info["file_id"] not in self.notebooks:
                self.unmatched.setdefault(rel, f"{info['file_id']} is not a notebook of any assignment")
                return None
            key = (info["student_id"], info["file_id"])
            if key in self.taken and "timestamp" not in info:
                self.unmatched[rel] = f"a second {info['file_id']} of {info['student_id']} (kept {self.taken[key]})"
                return None
            self.taken.setdefault(key, rel)
            self.seen.add(rel)
            self.unmatched.pop(rel, None)
            return info

    class CourseZipCollect(ZipCollectApp):
        """Keeps an existing submission unless forced, and records what it transferred."""

        def _transfer_files(self, collected_data):
            for student in sorted(collected_data):
                dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                                       self.coursedir.assignment_id))
                if dest.is_dir() and any(dest.iterdir()) and not self.force:
                    self.result.kept.append((student, self.coursedir.assignment_id))
                    del collected_data[student]
                    continue
                for src, name in zip(collected_data[student]["src_files"], collected_data[student]["file_ids"]):
                    self.result.collected.append((student, self.coursedir.assignment_id, name, src))
            super()._transfer_files(collected_data)

    return CourseCollector, CourseZipCollect


def collect(path, root=ROOT, regex=None, assignments=None, force=False):
    """Import the download at ``path`` (folder or archive) into ``root``/submitted/; returns a
    ``Collected``."""
    from nbgrader.coursedir import CourseDirectory

    CourseCollector, CourseZipCollect = _classes()
    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(path)
    by_assignment = release_notebooks(root)
    if assignments:
        unknown = set(assignments) - set(by_assignment)
        if unknown:
            raise ValueError(f"no release or source notebooks for {', '.join(sorted(unknown))}")
        by_assignment = {a: by_assignment[a] for a in assignments}
    result = Collected()
    with tempfile.TemporaryDirectory(prefix="course-collect-") as tmp:
        archive = Path(tmp) / "archive"
        if path.is_dir():
            shutil.copytree(path, archive)
            top = Path(tmp) / "extracted"
        else:
            archive.mkdir()
            shutil.copy(path, archive / path.name)
            # nbgrader unpacks an archive into a folder named after it
            top = Path(tmp) / "extracted" / path.name.removesuffix(".gz").removesuffix(".tar").removesuffix(".zip")
        seen, unmatched = set(), {}
        for i, (assignment, notebooks) in enumerate(by_assignment.items()):
            config = course_config(root, ZipCollectApp={
                "downloaded_directory": os.path.relpath(tmp, Path(root).resolve()), "collect_directory_structure": "{downloaded}/{collect_step}",
                "force": force}, ExtractorPlugin={"force": True})
            config.CourseDirectory.assignment_id = assignment
            app = CourseZipCollect(config=config, log_level=logging.ERROR)
            app.coursedir = CourseDirectory(config=config)
            app.collector_plugin = CourseCollector
            app.result = result
            app.init_plugins()
            app.collector_plugin_inst.named_regexp = regex or default_regex(notebooks)
            app.collector_plugin_inst.setup(top, notebooks, seen, unmatched)
            if i == 0:
                app.extract_archive_files()
            try:
                app.process_extracted_files()
            except SystemExit:  # nbgrader's app.fail(): the message is in its log
                raise RuntimeError(f"nbgrader zip_collect failed for {assignment}") from None
        result.unmatched = sorted((rel, why) for rel, why in unmatched.items() if rel not in seen)
    result.collected.sort()
    result.kept.sort()
    return result


def add_arguments(parser):
    parser.add_argument("path", type=Path, help="a folder or a .zip downloaded from the LMS")
    parser.add_argument("--regex", metavar="PATTERN", help="named-group pattern with student_id and file_id (see above)")
    parser.add_argument("--assignment", action="append", dest="assignments", metavar="NAME",
                        help="only this assignment (repeatable; default: every assignment)")
    parser.add_argument("--force", action="store_true", help="replace existing submissions")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def run(args):
    result = collect(args.path, args.root, args.regex, args.assignments, args.force)
    students = {s for s, *_ in result.collected}
    print(f"collected {len(result.collected)} notebooks of {len(students)} students into {Path(args.root) / 'submitted'}/")
    for student, assignment, name, _ in result.collected:
        print(f"  {student}/{assignment}/{name}")
    for student, assignment in result.kept:
        print(f"kept the existing submission of {student}/{assignment} (use --force to replace it)")
    if result.unmatched:
        print(f"{len(result.unmatched)} files could not be matched to a student and an assignment:")
        for rel, why in result.unmatched:
            print(f"  {rel}: {why}")
    return 0
