"""The same class graded through a real dask.distributed cluster and into a real PostgreSQL
gradebook gives the same gradebook as the local process pool with SQLite."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course.grading.grade import grade, read_failures
from gradingclass import ASSIGNMENTS, free_port, gradebook_scores, new_course, small_class
from pgserver import postgres_server

BIN = Path(sys.executable).parent


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


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL server; yields a database URL."""
    with postgres_server() as url:
        yield url


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
