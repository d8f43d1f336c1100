"""The Debian packages the tests need; `make test` runs this before pytest.

    python3 scripts/debian_packages.py          # install what is missing, or say how
    python3 scripts/debian_packages.py --list   # the package names, on one line

As root (containers, cloud machines, CI) it runs `apt-get update` once, then `apt-get install`
for the missing packages. As any other user it prints the one `sudo apt-get install ...` line to
run and exits 1, so that make stops before pytest instead of failing dozens of tests.

COURSE_PRETEND_MISSING="chromium postgresql" treats those packages as missing, to try this step
on a machine that has them (as root, apt-get then reinstalls nothing: they are installed).
Standard library only: it runs before .venv exists.
"""
import os
import shlex
import shutil
import subprocess
import sys

# Each package and the files of it that the tests use (present = installed). Keep the package
# that each executable named in tests/, course/ or benchmarks/ comes from in this table:
# tests/test_debian_packages.py checks it.
PACKAGES = {
    # the grading sandbox: tests/test_sandbox.py, test_hostile.py, the graded pipeline
    "bubblewrap": ("/usr/bin/bwrap",),
    # the sandbox's resource limits and uid switch; PostgreSQL's server run as its own user
    "util-linux": ("/usr/bin/prlimit", "/usr/bin/setpriv", "/usr/sbin/runuser"),
    # the browser tests (tests/browser/) and the widget latency benchmark drive Debian's Chromium
    "chromium": ("/usr/bin/chromium",),
    # the gradebook on a PostgreSQL server: tests/test_grading_backends.py (it needs version 15)
    "postgresql": ("/usr/lib/postgresql/15/bin/initdb", "/usr/lib/postgresql/15/bin/pg_ctl"),
    # text in Chromium's pages and screenshots
    "fonts-dejavu-core": ("/usr/share/fonts/truetype/dejavu",),
    "fonts-liberation": ("/usr/share/fonts/truetype/liberation",),
}

PRETEND_MISSING = "COURSE_PRETEND_MISSING"


def missing(packages=PACKAGES, exists=os.path.exists, pretend=()):
    """The names of ``packages`` (name -> files) with a file that does not exist, in table order.

    ``pretend``: names to report as missing whatever is installed.
    """
    return [name for name, files in packages.items()
            if name in pretend or not all(exists(path) for path in files)]


def pretended(environ=os.environ):
    return set(environ.get(PRETEND_MISSING, "").split())


def has_apt():
    return shutil.which("apt-get") is not None


def sudo_line(names):
    """The command a user who is not root runs to install ``names``."""
    return "sudo apt-get install " + " ".join(shlex.quote(name) for name in names)


def advice(names, has_apt):
    """What to tell a user who is not root (or has no apt-get) when ``names`` are missing."""
    if not has_apt:
        return ("make test needs programs that Debian packages as " + ", ".join(names)
                + "; this machine has no apt-get: install their equivalents, then run make test again.")
    return ("make test needs Debian packages that are not installed: " + ", ".join(names)
            + ". Install them, then run make test again:\n    " + sudo_line(names))


def install(names, run=subprocess.run):
    """As root: `apt-get update` once, then install ``names`` without prompts."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("installing the Debian packages the tests need: " + " ".join(names), flush=True)
    run(["apt-get", "update", "-q"], env=env, check=True)
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *names], env=env, check=True)


def main(argv=None, euid=None, run=subprocess.run):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--list"]:
        print(" ".join(PACKAGES))
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    need = missing(pretend=pretended())
    if not need:
        return 0
    euid = os.geteuid() if euid is None else euid
    apt = has_apt()
    if euid != 0 or not apt:
        print(advice(need, apt), file=sys.stderr)
        return 1
    try:
        install(need, run=run)
    except subprocess.CalledProcessError as error:
        print(f"apt-get failed (exit {error.returncode}): {shlex.join(error.cmd)}", file=sys.stderr)
        return 1
    still = missing()  # what apt-get really installed, whatever was pretended
    if still:
        print("still missing after apt-get install: " + ", ".join(still)
              + " (the tests expect Debian 12's files, e.g. PostgreSQL 15)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
