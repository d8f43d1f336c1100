"""Import submissions downloaded from an LMS (a folder or a .zip) into submitted/<student>/<assignment>/.

Each file's path inside the download tells the student id and the notebook. By default a path
matches when it is

    <student>_<anything>_<notebook>      e.g. alice_derivatives.ipynb, alice_1234_5678_derivatives.ipynb
    <student>/<anything>/<notebook>      e.g. alice/derivatives.ipynb, alice/01_derivatives/derivatives.ipynb

where the student id is everything before the first ``_`` or ``/`` and ``<notebook>`` is the file
name of a release notebook, in any capitalisation and with Canvas's resubmission suffix
(``Derivatives.ipynb``, ``derivatives-1.ipynb``); the notebook name tells the assignment.
``--regex`` replaces the pattern: it must define the groups ``student_id`` and ``file_id`` (the
notebook's file name) and may define ``timestamp``; it is matched against the path relative to
the top of the download, with ``/`` separators.

Archives inside the download (a student who uploaded a zip) are opened in place: a file inside
``inner.zip`` is matched by its path inside that archive first (``alice_derivatives.ipynb``), then
as ``inner/<path>`` (``alice_1234_work.zip`` holding ``derivatives.ipynb`` is alice's).

Nothing is trusted: entries whose path is absolute or leads out of the download (``../x``),
symbolic links, special files (FIFOs, devices), names that are not UTF-8, oversized or corrupt
entries are skipped with the reason. Everything skipped is listed and makes the command exit 1;
a missing or corrupt download exits 2. Hidden files and macOS metadata (``__MACOSX/``,
``.DS_Store``) are ignored and only counted.

When one student's notebook is in the download twice (a resubmission), the newest copy is kept
(by timestamp, then Canvas's ``-N`` suffix) and the older one is listed as skipped. Each
submission keeps its time in nbgrader's ``timestamp.txt`` (used for late penalties): a
``timestamp`` group of ``--regex``, else a ``YYYY-MM-DD-HH-MM-SS`` date in the path (Blackboard),
else the entry's time in the zip; times without a zone are read in ``--timezone`` (default UTC).
An existing submission is kept unless ``--force``.
"""
import io
import os
import re
import stat
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from .nbapi import ROOT, course_config

IGNORED = re.compile(r"(^|/)(__MACOSX/|\.)")
ARCHIVE_SUFFIXES = (".zip",)
MAX_ENTRY_BYTES = 200 * 2**20     # no notebook is this large; a bigger entry is a zip bomb or a mistake
MAX_TOTAL_BYTES = 4 * 2**30
MAX_NESTING = 3
RESUBMISSION = re.compile(r"-(\d+)(\.ipynb)$", re.IGNORECASE)
PATH_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d)[-_T ](\d\d)[-:](\d\d)[-:](\d\d)")
UNSAFE_ID = re.compile(r"[\x00-\x1f\x7f/\\]|^\.\.?$")


class CollectError(RuntimeError):
    """The download cannot be read at all (missing, not a folder or a zip, corrupt archive)."""


@dataclass
class Collected:
    collected: list = field(default_factory=list)   # (student, assignment, notebook, path in the download)
    skipped: list = field(default_factory=list)     # (path in the download, reason)
    kept: list = field(default_factory=list)        # (student, assignment): existing submission kept
    ignored: list = field(default_factory=list)     # hidden files and macOS metadata
    timestamps: dict = field(default_factory=dict)  # (student, assignment) -> datetime (UTC) or absent

    @property
    def unmatched(self):
        return self.skipped


@dataclass
class Entry:
    """A regular file of the download: where it is, the paths it may be matched by, its bytes."""
    shown: str          # path shown to the instructor (archives as folders: inner.zip/x.ipynb)
    candidates: list    # paths tried against the pattern, in order
    data: bytes
    time: datetime = None  # naive, as the archive records it


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
    """The named-group pattern for notebooks ``notebooks`` (matched case-insensitively; a
    Canvas ``-N`` suffix is allowed before ``.ipynb``)."""
    stems = "|".join(re.escape(n.removesuffix(".ipynb")) for n in notebooks)
    return rf"^(?P<student_id>[^/_]+)[_/](?:.*[_/])?(?P<file_id>(?:{stems})(?:-\d+)?\.ipynb)$"


# ------------------------------------------------------------------ reading the download

def _utf8_name(info):
    """The entry's name as UTF-8 text, or None. Zips without the UTF-8 flag store bytes that
    Python decodes as cp437; most tools wrote UTF-8 anyway."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _unsafe(name):
    path = PurePosixPath(name)
    return name.startswith("/") or re.match(r"^[A-Za-z]:", name) is not None or ".." in path.parts


def _zip_entries(archive, prefix, inner_prefixes, depth, out, budget):
    """Append the entries of an open ZipFile (recursing into archives) to ``out``."""
    for info in archive.infolist():
        name = _utf8_name(info)
        if name is None:
            shown = prefix + info.filename.encode("cp437").decode("utf-8", "backslashreplace")
            out.skipped.append((shown, "the file name is not UTF-8: the student id cannot be read from it"))
            continue
        name = name.replace("\\", "/")
        shown = prefix + name
        if info.is_dir() or name.endswith("/"):
            continue
        if _unsafe(name):
            out.skipped.append((shown, "an absolute path or one leading out of the download (not extracted)"))
            continue
        if IGNORED.search(name):
            out.ignored.append(shown)
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            out.skipped.append((shown, "a symbolic link (not followed)"))
            continue
        if mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            out.skipped.append((shown, "a special file, not a regular file"))
            continue
        if info.file_size > MAX_ENTRY_BYTES or info.file_size > budget[0]:
            out.skipped.append((shown, f"{info.file_size} bytes unpacked: too large for a submission"))
            continue
        try:
            data = archive.read(info)
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError, RuntimeError) as error:
            out.skipped.append((shown, f"a corrupt or unreadable entry ({error})"))
            continue
        budget[0] -= len(data)
        inner = [p + name for p in inner_prefixes]
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            _nested(data, shown, inner, depth, out, budget)
            continue
        # 1980-01-01 is the zip format's zero: no time recorded
        when = datetime(*info.date_time) if info.date_time[:3] != (1980, 1, 1) else None
        out.entries.append(Entry(shown, inner, data, when))


def _nested(data, shown, inner, depth, out, budget):
    """An archive inside the download: its files are matched by their path inside it first,
    then with the archive's name as a folder."""
    if depth >= MAX_NESTING:
        out.skipped.append((shown, f"an archive nested more than {MAX_NESTING} deep (not opened)"))
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        out.skipped.append((shown, "a corrupt archive (not a readable zip)"))
        return
    stem = re.sub(r"\.zip$", "", inner[-1], flags=re.IGNORECASE)
    with archive:
        _zip_entries(archive, shown + "/", ["", stem + "/"], depth + 1, out, budget)


def _folder_entries(top, out, budget):
    for folder, dirs, files in os.walk(top):
        for name in sorted(dirs + files):
            full = Path(folder) / name
            rel = full.relative_to(top)
            try:
                shown = os.fsencode(rel).decode("utf-8")
            except UnicodeDecodeError:
                shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
                out.skipped.append((shown, "the file name is not UTF-8: the student id cannot be read from it"))
                if name in dirs:
                    dirs.remove(name)
                continue
            shown = Path(shown).as_posix()
            if IGNORED.search(shown):
                if name in dirs:
                    dirs.remove(name)
                else:
                    out.ignored.append(shown)
                continue
            mode = full.lstat().st_mode
            if stat.S_ISLNK(mode):
                out.skipped.append((shown, "a symbolic link (not followed)"))
                if name in dirs:
                    dirs.remove(name)
                continue
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                out.skipped.append((shown, "a special file, not a regular file"))
                continue
            size = full.stat().st_size
            if size > MAX_ENTRY_BYTES or size > budget[0]:
                out.skipped.append((shown, f"{size} bytes: too large for a submission"))
                continue
            data = full.read_bytes()
            budget[0] -= len(data)
            if name.lower().endswith(ARCHIVE_SUFFIXES):
                _nested(data, shown, [shown], 0, out, budget)
            else:
                out.entries.append(Entry(shown, [shown], data))
        dirs.sort()


@dataclass
class _Read:
    entries: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    ignored: list = field(default_factory=list)


def read_download(path):
    """The files of a download (folder or zip): a ``_Read`` with its entries, what was skipped
    and what was ignored. Raises ``CollectError`` when the download cannot be read at all."""
    path = Path(path)
    out, budget = _Read(), [MAX_TOTAL_BYTES]
    if path.is_dir():
        _folder_entries(path, out, budget)
        return out
    if not path.exists():
        raise CollectError(f"{path}: no such file or folder")
    if not path.is_file():
        raise CollectError(f"{path}: not a folder or a .zip file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise CollectError(f"{path}: not a readable zip archive ({error})") from None
    with archive:
        _zip_entries(archive, "", [""], 0, out, budget)
    return out


# ------------------------------------------------------------------ matching

def _timestamp(info, entry, tz):
    """The submission time of an entry in UTC (naive, as nbgrader stores it), or None."""
    from nbgrader.utils import parse_utc

    when = None
    if info.get("timestamp"):
        try:
            when = parse_utc(info["timestamp"]) if re.search(r"[+-]\d\d:?\d\d$|Z$| [A-Za-z]", info["timestamp"]) \
                else _in_zone(parse_naive(info["timestamp"]), tz)
        except (ValueError, OverflowError):
            when = None
    if when is None:
        found = PATH_TIMESTAMP.search(entry.shown)
        if found:
            try:
                when = _in_zone(datetime.strptime(" ".join(found.groups()), "%Y-%m-%d %H %M %S"), tz)
            except ValueError:
                when = None
    if when is None and entry.time is not None:
        when = _in_zone(entry.time, tz)
    return when


def parse_naive(text):
    import dateutil.parser

    return dateutil.parser.parse(text.replace("_", " "))


def _in_zone(naive, tz):
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=tz)
    return naive.astimezone(timezone.utc).replace(tzinfo=None)


def match(entry, patterns):
    """``(assignment, student, notebook, info)`` for the first pattern matching one of the entry's
    candidate paths, else ``(None, reason)``."""
    reason = "the name carries no student id and release notebook name"
    for candidate in entry.candidates:
        for assignment, (regex, by_lower) in patterns.items():
            found = regex.match(candidate)
            if not found:
                continue
            info = {k: v for k, v in found.groupdict().items() if v is not None}
            student, file_id = info.get("student_id"), info.get("file_id")
            if not student or not file_id:
                continue
            file_id = RESUBMISSION.sub(r"\2", PurePosixPath(file_id).name)
            notebook = by_lower.get(file_id.lower())
            if notebook is None:
                reason = f"{PurePosixPath(info['file_id']).name} is not a notebook of any assignment"
                continue
            if UNSAFE_ID.search(student):
                reason = f"{student!r} cannot be a student id"
                continue
            return assignment, student, notebook, info
    return None, reason


def _suffix(entry):
    found = RESUBMISSION.search(entry.shown)
    return int(found.group(1)) if found else 0


def plan(read, by_assignment, regex=None, tz=timezone.utc):
    """``({(assignment, student): {notebook: (entry, timestamp)}}, skipped)`` for a read download."""
    patterns = {a: (re.compile(regex or default_regex(nbs), re.IGNORECASE if not regex else 0),
                    {n.lower(): n for n in nbs}) for a, nbs in by_assignment.items()}
    chosen, skipped = {}, list(read.skipped)
    for entry in read.entries:
        if not entry.shown.lower().endswith(".ipynb"):
            skipped.append((entry.shown, "not a notebook"))
            continue
        assignment, *rest = match(entry, patterns)
        if assignment is None:
            skipped.append((entry.shown, rest[0]))
            continue
        student, notebook, info = rest
        when = _timestamp(info, entry, tz)
        files = chosen.setdefault((assignment, student), {})
        if notebook in files:
            other, other_when = files[notebook]
            newer = (when or datetime.min, _suffix(entry)) > (other_when or datetime.min, _suffix(other))
            keep, drop = ((entry, when), other) if newer else ((other, other_when), entry)
            files[notebook] = keep
            skipped.append((drop.shown, f"an older copy of {student}'s {notebook} (kept {keep[0].shown})"))
            continue
        files[notebook] = (entry, when)
    return chosen, skipped


# ------------------------------------------------------------------ writing submitted/

def _transfer(root, assignment, student, files, force):
    """Write one submission with nbgrader's ZipCollectApp (its folder layout and timestamp.txt)."""
    import logging

    from nbgrader.apps import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory

    config = course_config(root, ZipCollectApp={"force": True})
    config.CourseDirectory.assignment_id = assignment
    app = ZipCollectApp(config=config, log_level=logging.ERROR)
    app.coursedir = CourseDirectory(config=config)
    dest = Path(app.coursedir.format_path(app.coursedir.submitted_directory, student, assignment))
    times = [when for _, when in files.values() if when is not None]
    with tempfile.TemporaryDirectory(prefix="course-collect-") as tmp:
        sources = []
        for notebook, (entry, _) in sorted(files.items()):
            src = Path(tmp) / notebook
            src.write_bytes(entry.data)
            sources.append((str(src), str(dest / notebook), notebook))
        app._transfer_files({student: {"src_files": [s for s, _, _ in sources],
                                       "dest_files": [d for _, d, _ in sources],
                                       "file_ids": [n for _, _, n in sources],
                                       "timestamp": max(times) if times else None}})
    return max(times) if times else None


def collect(path, root=ROOT, regex=None, assignments=None, force=False, tz=timezone.utc):
    """Import the download at ``path`` (folder or zip) into ``root``/submitted/; returns a
    ``Collected``. Raises ``CollectError`` when the download cannot be read."""
    by_assignment = release_notebooks(root)
    if assignments:
        unknown = set(assignments) - set(by_assignment)
        if unknown:
            raise CollectError(f"no release or source notebooks for {', '.join(sorted(unknown))}")
        by_assignment = {a: by_assignment[a] for a in assignments}
    if regex:
        try:
            compiled = re.compile(regex)
        except re.error as error:
            raise CollectError(f"--regex is not a regular expression: {error}") from None
        if not {"student_id", "file_id"} <= set(compiled.groupindex):
            raise CollectError("--regex must define the groups (?P<student_id>...) and (?P<file_id>...)")
    read = read_download(Path(path))
    chosen, skipped = plan(read, by_assignment, regex, tz)
    result = Collected(skipped=sorted(skipped), ignored=sorted(read.ignored))
    submitted = Path(root) / "submitted"
    for (assignment, student), files in sorted(chosen.items()):
        dest = submitted / student / assignment
        if dest.is_dir() and any(dest.iterdir()) and not force:
            result.kept.append((student, assignment))
            continue
        when = _transfer(root, assignment, student, files, force)
        if when is not None:
            result.timestamps[student, assignment] = when
        for notebook, (entry, _) in sorted(files.items()):
            result.collected.append((student, assignment, notebook, entry.shown))
    result.collected.sort()
    return result


def add_arguments(parser):
    parser.add_argument("path", type=Path, help="a folder or a .zip downloaded from the LMS")
    parser.add_argument("--regex", metavar="PATTERN", help="named-group pattern with student_id and file_id (see above)")
    parser.add_argument("--assignment", action="append", dest="assignments", metavar="NAME",
                        help="only this assignment (repeatable; default: every assignment)")
    parser.add_argument("--force", action="store_true", help="replace existing submissions")
    parser.add_argument("--timezone", default="UTC", metavar="ZONE",
                        help="zone of submission times that carry none, e.g. Europe/Berlin (default: UTC)")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def run(args):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz = ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"error: unknown time zone {args.timezone!r}", file=sys.stderr)
        return 2
    try:
        result = collect(args.path, args.root, args.regex, args.assignments, args.force, tz)
    except CollectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    students = {s for s, *_ in result.collected}
    print(f"collected {len(result.collected)} notebooks of {len(students)} students into {Path(args.root) / 'submitted'}/")
    for student, assignment, name, shown in result.collected:
        when = result.timestamps.get((student, assignment))
        print(f"  {student}/{assignment}/{name}  <- {shown}" + (f"  (submitted {when:%Y-%m-%d %H:%M:%S} UTC)" if when else ""))
    for student, assignment in result.kept:
        print(f"kept the existing submission of {student}/{assignment} (use --force to replace it)")
    if result.ignored:
        print(f"ignored {len(result.ignored)} hidden files and macOS metadata")
    if result.skipped:
        print(f"skipped {len(result.skipped)} files:")
        for rel, why in result.skipped:
            print(f"  {rel}: {why}")
        return 1
    return 0
