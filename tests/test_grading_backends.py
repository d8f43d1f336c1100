"""The same class graded through a real dask.distributed cluster and into a real PostgreSQL
gradebook gives the same gradebook as the local process pool with SQLite."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from course.grading.grade import grade, read_failures
from gradingclass import ASSIGNMENTS, free_port, gradebook_scores, new_course, small_class

BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The class graded by the default executor (local process pool, SQLite)."""
    course = small_class(new_course(tmp_path_factory.mktemp("reference")))
    summary = grade(course, workers=2, sandbox=False, progress=False)
    assert summary["failed"] == 0
    return gradebook_scores(course)


def _wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not come up within {seconds} s")


@pytest.fixture
def dask_cluster(tmp_path):
    """A dask scheduler and two single-threaded workers, separate processes on 127.0.0.1."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    logs = [open(tmp_path / name, "w") for name in ("scheduler.log", "workers.log")]
    processes = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--no-dashboard"], env=env, stdout=logs[0], stderr=subprocess.STDOUT)]
    try:
        processes.append(subprocess.Popen(
            [str(BIN / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1", "--memory-limit", "0",
             "--local-directory", str(tmp_path / "dask")],
            env=env, stdout=logs[1], stderr=subprocess.STDOUT, cwd=tmp_path))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def test_dask_cluster_gives_the_same_gradebook(reference, dask_cluster, tmp_path):
    course = small_class(new_course(tmp_path / "course"))
    summary = grade(course, scheduler=dask_cluster, sandbox=False, progress=False)
    assert summary["failed"] == 0 and summary["graded"] == 3 * len(ASSIGNMENTS)
    workers = {r["worker"] for r in summary["results"]}
    assert os.getpid() not in {int(w.rsplit(":", 1)[1]) for w in workers}
    assert len(workers) == 2, f"the cluster's two workers did not share the work: {workers}"
    assert gradebook_scores(course) == reference
    assert read_failures(course) == []


def _as_postgres(command):
    """Run a PostgreSQL program as an unprivileged user (the server refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + command
    return command


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL server on a free 127.0.0.1 port; yields a database URL."""
    assert (PG_BIN / "initdb").exists(), "PostgreSQL 15 is missing: apt-get install postgresql"
    folder = Path(tempfile.mkdtemp(prefix="course-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    port = free_port()
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "grader",
                                 "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-t", "120", "-l",
                                 str(folder / "server.log"), "-o",
                                 f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
                                 "start"]), check=True, capture_output=True)
    try:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=port, user="grader", dbname="postgres")
        connection.autocommit = True
        connection.cursor().execute("CREATE DATABASE gradebook")
        connection.close()
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_gradebook_is_the_same(reference, postgres, tmp_path):
    course = small_class(new_course(tmp_path / "course"))
    summary = grade(course, workers=2, sandbox=False, progress=False,
                    overrides={"CourseDirectory": {"db_url": postgres}})
    assert summary["failed"] == 0 and summary["graded"] == 3 * len(ASSIGNMENTS)
    assert not (course / "gradebook.db").exists(), "the SQLite gradebook was used"
    assert gradebook_scores(course, db_url=postgres) == reference

    again = grade(course, workers=2, sandbox=False, progress=False,
                  overrides={"CourseDirectory": {"db_url": postgres}})
    assert again["skipped"] == 3 * len(ASSIGNMENTS), "a re-run against PostgreSQL graded again"
