"""The dependency step of `make test` (scripts/debian_packages.py): what it installs and what it says.

The first tests read the code of tests/, course/ and benchmarks/ for the system programs and
files it uses, ask dpkg which package each comes from, and check that the step names that
package, so a new test cannot depend on a Debian package that a fresh machine would lack.
"""
import ast
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("tests", "course", "benchmarks")
SYSTEM_DIRS = ("/usr/", "/bin/", "/sbin/", "/lib/")  # what dpkg installs (/usr/local is not)
RUNNERS = {"run", "Popen", "call", "check_call", "check_output", "execv", "execvp"}


def _scanned_files():
    """The code whose system dependencies count (this file's paths configure the scan)."""
    here = Path(__file__).resolve()
    return [file for folder in SCANNED for file in sorted((ROOT / folder).rglob("*.py")) if file.resolve() != here]


def _load_script():
    spec = importlib.util.spec_from_file_location("debian_packages", ROOT / "scripts" / "debian_packages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


debian_packages = _load_script()


# -- what the code uses ----------------------------------------------------------------------

def _path_of(node, known):
    """The absolute path an expression spells out, or None.

    Understands "/usr/bin/x", Path("/usr/lib/y"), NAME (an earlier assignment), BASE / "name" and
    os.environ.get("VAR", "/usr/bin/x") (the default).
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("/"):
        return node.value
    if isinstance(node, ast.Name):
        return known.get(node.id)
    if isinstance(node, ast.Call) and node.args:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in ("Path", "PurePath"):
            return _path_of(node.args[0], known)
        if name == "get" and len(node.args) == 2:
            return _path_of(node.args[1], known)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        base = _path_of(node.left, known)
        if base and isinstance(node.right, ast.Constant) and isinstance(node.right.value, str):
            return os.path.join(base, node.right.value)
    return None


def _program(name):
    """Where Debian's program directories hold ``name`` (never the venv's or /usr/local's), or None."""
    found = shutil.which(name, path=os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]))
    return found if found and not found.startswith("/usr/local/") else None


def _python_side(name):
    """A program of the venv or a Python module (sys.argv = ["ipykernel_launcher"] + argv): not Debian's."""
    venv_bin = os.path.dirname(sys.executable)
    return os.path.exists(os.path.join(venv_bin, name)) or importlib.util.find_spec(name) is not None


def used_system_files(source):
    """System paths that ``source`` refers to: literal paths, `which("x")` and ["x", ...] commands.

    A program that is not installed appears as "(program x)"."""
    tree = ast.parse(source)
    known, found = {}, set()
    for node in ast.walk(tree):  # names bound to a path anywhere in the module, e.g. PG_BIN = Path(...)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            path = _path_of(node.value, known)
            if path:
                known[node.targets[0].id] = path
    for node in ast.walk(tree):
        path = _path_of(node, known)
        if path:
            found.add(path)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "which":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(_program(node.args[0].value) or f"(program {node.args[0].value})")
        for command in _command_lists(node):
            first = command.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and "/" not in first.value:
                if not _python_side(first.value):
                    found.add(_program(first.value) or f"(program {first.value})")
    return {path for path in found
            if path.startswith("(") or (path.startswith(SYSTEM_DIRS) and not path.startswith("/usr/local/"))}


def _command_lists(node):
    """List literals that are commands: run (subprocess.run(["x", ...])) or extended (["x", ...] + cmd)."""
    if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in RUNNERS:
        candidates = node.args[:1]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        candidates = [node.left]
    else:
        return []
    return [c for c in candidates if isinstance(c, (ast.List, ast.Tuple)) and c.elts]


def _owners(path):
    """The Debian packages that ship ``path`` (merged /usr: /usr/bin/x may be recorded as /bin/x)."""
    candidates = [path, os.path.realpath(path)]
    for prefix in ("/usr/bin/", "/usr/sbin/", "/usr/lib/"):
        if path.startswith(prefix):
            candidates.append(path[len("/usr"):])
    for candidate in candidates:
        run = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if run.returncode == 0:
            owners = set()
            for line in run.stdout.splitlines():
                if line.startswith("diversion"):
                    continue
                owners.update(name.strip().split(":")[0] for name in line.rsplit(": ", 1)[0].split(","))
            return owners
    return set()


def _field(package, field):
    run = subprocess.run(["dpkg-query", "-W", "-f", "${" + field + "}", package], capture_output=True, text=True)
    return run.stdout.strip() if run.returncode == 0 else ""


def _depends(package):
    """The packages that ``package`` depends on directly (every alternative)."""
    names = set()
    for clause in _field(package, "Depends").split(","):
        for alternative in clause.split("|"):
            if alternative.strip():
                names.add(alternative.split()[0].split(":")[0])
    return names


@pytest.fixture(scope="module")
def dpkg():
    if shutil.which("dpkg") is None:
        pytest.skip("not a Debian system: the dependency step and this check are for Debian's packages")


def test_the_scan_finds_what_the_tests_are_known_to_use():
    # the scan itself: if it stopped seeing these, the next test would pass on nothing
    found = set()
    for file in _scanned_files():
        found |= used_system_files(file.read_text())
    assert "/usr/bin/chromium" in found, sorted(found)
    assert "/usr/lib/postgresql/15/bin/initdb" in found, sorted(found)
    assert any(path.endswith("/bwrap") or path == "(program bwrap)" for path in found), sorted(found)
    assert any(path.endswith("/runuser") for path in found), sorted(found)


def test_every_debian_package_the_code_uses_is_named_in_the_dependency_step(dpkg):
    named = set(debian_packages.PACKAGES)
    allowed = named | {dependency for package in named for dependency in _depends(package)}
    unnamed = []
    for file in _scanned_files():
        for path in sorted(used_system_files(file.read_text())):
            where = f"{file.relative_to(ROOT)} uses {path}"
            owners = _owners(path) if not path.startswith("(") else set()
            if not owners:
                unnamed.append(f"{where}, which no installed Debian package provides")
            elif not owners & allowed and not any(_field(o, "Essential") == "yes" for o in owners):
                unnamed.append(f"{where}, from {' or '.join(sorted(owners))}")
    assert not unnamed, ("add each package to PACKAGES in scripts/debian_packages.py (what `make test` "
                         "installs):\n  " + "\n  ".join(unnamed))


def test_each_named_package_ships_the_files_that_tell_it_is_installed(dpkg):
    for package, files in debian_packages.PACKAGES.items():
        for path in files:
            owners = _owners(path)
            assert owners & ({package} | _depends(package)), f"{path} comes from {owners or 'no package'}, not {package}"


# -- what the step decides and says ----------------------------------------------------------

TABLE = {"bubblewrap": ("/usr/bin/bwrap",), "chromium": ("/usr/bin/chromium",),
         "postgresql": ("/pg/initdb", "/pg/pg_ctl")}


def test_missing_lists_each_package_with_a_file_absent_in_table_order():
    present = {"/usr/bin/bwrap", "/pg/initdb"}.__contains__
    assert debian_packages.missing(TABLE, exists=present) == ["chromium", "postgresql"]
    everything = lambda path: True
    assert debian_packages.missing(TABLE, exists=everything) == []
    assert debian_packages.missing(TABLE, exists=everything, pretend={"bubblewrap"}) == ["bubblewrap"]


def _refuse_to_run(*args, **kwargs):
    raise AssertionError(f"ran {args}")


@pytest.fixture
def debian(monkeypatch):
    """The step's view of a Debian machine: apt-get exists."""
    monkeypatch.setattr(debian_packages, "has_apt", lambda: True)


def test_a_user_who_is_not_root_gets_the_sudo_line_and_nothing_runs(debian, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PRETEND_MISSING", "chromium postgresql")
    assert debian_packages.main([], euid=1000, run=_refuse_to_run) == 1
    err = capsys.readouterr().err
    assert "    sudo apt-get install chromium postgresql\n" in err, err
    assert "chromium, postgresql" in err and len(err.splitlines()) == 2, err


def test_root_runs_apt_get_update_once_then_installs_what_is_missing(debian, monkeypatch, capsys):
    if debian_packages.missing():
        pytest.skip("this machine lacks some packages: `make test` installs them first")
    monkeypatch.setenv("COURSE_PRETEND_MISSING", "bubblewrap postgresql")
    commands = []
    assert debian_packages.main([], euid=0, run=lambda cmd, **kw: commands.append(cmd)) == 0
    assert commands == [["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "bubblewrap", "postgresql"]]
    assert "bubblewrap postgresql" in capsys.readouterr().out


def test_when_nothing_is_missing_nothing_runs(monkeypatch):
    monkeypatch.delenv("COURSE_PRETEND_MISSING", raising=False)
    monkeypatch.setattr(debian_packages, "missing", lambda **kw: [])
    assert debian_packages.main([], euid=0, run=_refuse_to_run) == 0
    assert debian_packages.main([], euid=1000, run=_refuse_to_run) == 0


def test_without_apt_get_even_root_is_told_what_to_install(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PRETEND_MISSING", "bubblewrap")
    monkeypatch.setattr(debian_packages, "has_apt", lambda: False)
    assert debian_packages.main([], euid=0, run=_refuse_to_run) == 1
    err = capsys.readouterr().err
    assert "Debian packages as bubblewrap" in err and "no apt-get" in err, err


def test_a_failed_apt_get_stops_with_its_command(debian, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PRETEND_MISSING", "chromium")

    def fail(cmd, **kw):
        raise subprocess.CalledProcessError(100, cmd)

    assert debian_packages.main([], euid=0, run=fail) == 1
    assert "apt-get failed (exit 100): apt-get update -q" in capsys.readouterr().err
