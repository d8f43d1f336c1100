"""`python -m course collect` on hostile and messy LMS downloads: everything skipped is reported
with its reason, nothing leaves the course folder, and the exit code tells."""
import os
import shutil
import socket
import stat
import zipfile
from datetime import datetime

import pytest

from course.__main__ import main
from course.grading import collect
from test_instructor_tools import ASSIGNMENTS, scratch_course

FIRST, SECOND = ASSIGNMENTS[:2]


@pytest.fixture
def course(tmp_path):
    root = scratch_course(tmp_path / "course")
    nb1 = next((root / "release" / FIRST).glob("*.ipynb"))
    nb2 = next((root / "release" / SECOND).glob("*.ipynb"))
    return root, nb1, nb2


def _zip(path, entries):
    """Write a zip from ``[(name or ZipInfo, bytes)]``."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def _submitted(root):
    return sorted(p.relative_to(root / "submitted").as_posix()
                  for p in (root / "submitted").rglob("*") if p.is_file()) if (root / "submitted").exists() else []


def test_missing_and_corrupt_downloads_are_errors_not_tracebacks(course, tmp_path, capsys):
    root, *_ = course
    assert main(["collect", str(tmp_path / "nope.zip"), "--root", str(root)]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert main(["collect", str(bad), "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "not a readable zip" in err and "Traceback" not in err
    assert _submitted(root) == []


def test_unsafe_entries_are_skipped_and_reported(course, tmp_path, capsys):
    root, nb1, nb2 = course
    data = nb1.read_bytes()
    link = zipfile.ZipInfo(f"mallory_{nb1.name}")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo(f"oscar_{nb1.name}")
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    corrupt_inner = f"trent_{nb2.stem}.zip"
    archive = _zip(tmp_path / "download.zip", [
        (f"../../eve_{nb1.name}", data),
        (f"/abs_{nb1.name}", data),
        (link, b"/etc/passwd"),
        (fifo, b""),
        (f"josX_{nb1.name}", data),  # renamed to Latin-1 bytes below: no UTF-8 flag
        (corrupt_inner, b"PK\x03\x04 garbage"),
        (f"alice_{nb1.name}", data),
        ("__MACOSX/._alice", b"fork"),
        (".DS_Store", b"junk"),
    ])
    raw = archive.read_bytes()
    archive.write_bytes(raw.replace(f"josX_{nb1.name}".encode(), f"jos\xe9_{nb1.name}".encode("latin-1")))
    assert main(["collect", str(archive), "--root", str(root)]) == 1
    out = capsys.readouterr().out
    reasons = dict(line.strip().split(": ", 1) for line in out.split("skipped", 1)[1].splitlines()[1:])
    assert "absolute path or one leading out" in reasons[f"../../eve_{nb1.name}"]
    assert "absolute path or one leading out" in reasons[f"/abs_{nb1.name}"]
    assert "symbolic link" in reasons[f"mallory_{nb1.name}"]
    assert "special file" in reasons[f"oscar_{nb1.name}"]
    assert "not UTF-8" in reasons[f"jos\\xe9_{nb1.name}"]
    assert "corrupt archive" in reasons[corrupt_inner]
    assert "ignored 2 hidden files" in out
    assert _submitted(root) == [f"alice/{FIRST}/{nb1.name}", f"alice/{FIRST}/timestamp.txt"]
    assert not list(tmp_path.glob("**/eve_*")) and not (tmp_path.parent / f"eve_{nb1.name}").exists()


def test_folder_with_symlinks_and_special_files(course, tmp_path):
    root, nb1, _ = course
    folder = tmp_path / "download"
    folder.mkdir()
    shutil.copy(nb1, folder / f"alice_{nb1.name}")
    secret = tmp_path / "secret.ipynb"
    secret.write_text("{}")
    os.symlink(secret, folder / f"mallory_{nb1.name}")
    os.symlink(tmp_path, folder / "trent")
    os.mkfifo(folder / f"oscar_{nb1.name}")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(folder / f"sybil_{nb1.name}"))
        result = collect.collect(folder, root)
    reasons = dict(result.skipped)
    assert "symbolic link" in reasons[f"mallory_{nb1.name}"] and "symbolic link" in reasons["trent"]
    assert "special file" in reasons[f"oscar_{nb1.name}"] and "special file" in reasons[f"sybil_{nb1.name}"]
    assert [(s, a) for s, a, *_ in result.collected] == [("alice", FIRST)]


def test_non_utf8_file_name_in_a_folder(course, tmp_path):
    root, nb1, _ = course
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / os.fsdecode(b"jos\xe9_" + nb1.name.encode())).write_bytes(nb1.read_bytes())
    result = collect.collect(folder, root)
    assert not result.collected
    ((shown, why),) = result.skipped
    assert "not UTF-8" in why and shown == f"jos\\xe9_{nb1.name}"


def test_nested_zips_canvas_suffix_capitals_and_timestamps(course, tmp_path, capsys):
    root, nb1, nb2 = course
    data1, data2 = nb1.read_bytes(), nb2.read_bytes()
    inner = tmp_path / "inner.zip"
    _zip(inner, [(f"alice_{nb1.name}", data1)])                        # an archive of submissions
    own = tmp_path / "own.zip"
    _zip(own, [(nb2.name, data2)])                                     # a student's own upload
    stamped = zipfile.ZipInfo(f"bob_12_34_{nb1.stem}-1.ipynb", date_time=(2026, 3, 2, 9, 30, 0))
    older = zipfile.ZipInfo(f"bob_12_33_{nb1.name}", date_time=(2026, 3, 1, 8, 0, 0))
    archive = _zip(tmp_path / "canvas.zip", [
        ("inner.zip", inner.read_bytes()),
        (f"carol_55_66_{nb2.stem}.zip", own.read_bytes()),
        (stamped, data1 + b"\n"),
        (older, data1),
        (f"dave_77_88_{nb1.stem.capitalize()}.ipynb", data1),
    ])
    result = collect.collect(archive, root, regex=None)
    got = {(s, a, n) for s, a, n, _ in result.collected}
    assert got == {("alice", FIRST, nb1.name), ("carol", SECOND, nb2.name), ("bob", FIRST, nb1.name),
                   ("dave", FIRST, nb1.name)}, result.skipped
    assert "inner" not in {s for s, *_ in result.collected}
    assert (root / "submitted" / "bob" / FIRST / nb1.name).read_bytes() == data1 + b"\n", "the resubmission wins"
    assert [why for rel, why in result.skipped if rel == older.filename] == \
        [f"an older copy of bob's {nb1.name} (kept {stamped.filename})"]
    stamp = (root / "submitted" / "bob" / FIRST / "timestamp.txt").read_text()
    assert stamp == "2026-03-02 09:30:00"
    from nbgrader.utils import parse_utc

    assert parse_utc(stamp) == datetime(2026, 3, 2, 9, 30)

    # Blackboard's names start with the course and carry the time: a custom pattern reads the
    # student, the time comes from the path
    blackboard = _zip(tmp_path / "blackboard.zip", [(f"Course_erin_attempt_2026-03-04-23-59-01_{nb2.name}", data2)])
    pattern = r"^[^_]+_(?P<student_id>[^_]+)_attempt_[\d-]+_(?P<file_id>.+\.ipynb)$"
    again = collect.collect(blackboard, root, regex=pattern, assignments=[SECOND])
    assert [(s, a) for s, a, *_ in again.collected] == [("erin", SECOND)]
    assert (root / "submitted" / "erin" / SECOND / "timestamp.txt").read_text() == "2026-03-04 23:59:01"


def test_timezone_of_naive_times(course, tmp_path, capsys):
    root, nb1, _ = course
    entry = zipfile.ZipInfo(f"alice_{nb1.name}", date_time=(2026, 7, 1, 12, 0, 0))
    archive = _zip(tmp_path / "d.zip", [(entry, nb1.read_bytes())])
    assert main(["collect", str(archive), "--root", str(root), "--timezone", "Europe/Berlin"]) == 0
    assert (root / "submitted" / "alice" / FIRST / "timestamp.txt").read_text() == "2026-07-01 10:00:00"
    assert "submitted 2026-07-01 10:00:00 UTC" in capsys.readouterr().out
    assert main(["collect", str(archive), "--root", str(root), "--timezone", "Mars/Olympus"]) == 2
