"""A throwaway PostgreSQL server on a free 127.0.0.1 port, for the gradebook tests."""
import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from gradingclass import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(command):
    """Run a PostgreSQL program as an unprivileged user (the server refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + command
    return command


@contextlib.contextmanager
def postgres_server():
    """Start a server with an empty database ``gradebook``; yields its SQLAlchemy URL."""
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
