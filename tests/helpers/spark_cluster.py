"""A Spark standalone cluster on this machine, from pyspark's own jars: a master, two workers and
the Spark Thrift Server submitted to that master, on loopback ports, everything under one
directory (its metastore, warehouse, work dirs and logs). What dbt-spark's ``method: thrift``
talks to, as on a real cluster.

    python -m tests.helpers.spark_cluster start DIR   # prints the Thrift port; runs until stopped
    python -m tests.helpers.spark_cluster stop DIR

Every process is started in a session of its own and ended by its id (SIGTERM, then SIGKILL):
nothing is left running. Tests take one cluster per test run (tests/spark/conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

THRIFT_SERVER = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
STATE = "cluster.json"


def spark_home() -> Path:
    """pyspark's install: its bin/ holds spark-class and spark-submit, its jars/ the cluster."""
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(port: int, timeout: float = 1.0) -> bool:
    """True when something listens on the loopback port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class SparkCluster:
    """A master, ``workers`` workers (one core and ``worker_memory`` each) and a Thrift server."""

    root: Path
    workers: int = 2
    worker_memory: str = "1g"
    pids: dict[str, int] = field(default_factory=dict)
    master_port: int = 0
    thrift_port: int = 0
    # The Thrift server's own web UI (its jobs, and killing one), or 0: none.
    ui_port: int = 0

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    def _env(self) -> dict[str, str]:
        home = spark_home()
        return {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(self.root / "logs"),
                "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1", "PYSPARK_PYTHON": sys.executable}

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.root / "logs" / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.root)
        self.pids[name] = proc.pid

    def start(self, timeout: float = 180.0) -> SparkCluster:
        """Start every process and wait until the Thrift server answers a query."""
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        bin_ = spark_home() / "bin"
        self.master_port, web = free_port(), free_port()
        self._spawn("master", [str(bin_ / "spark-class"), "org.apache.spark.deploy.master.Master",
                               "--host", "127.0.0.1", "--port", str(self.master_port), "--webui-port", str(web)])
        self._wait(lambda: answers(self.master_port), timeout, "the master")
        for i in range(self.workers):
            work = self.root / f"worker{i}"
            work.mkdir(exist_ok=True)
            self._spawn(f"worker{i}", [
                str(bin_ / "spark-class"), "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                "--cores", "1", "--memory", self.worker_memory, "--webui-port", str(free_port()),
                "--work-dir", str(work), self.master_url])
        self.start_thrift(timeout)
        self.save()
        return self

    def start_thrift(self, timeout: float = 180.0) -> None:
        """The Thrift server (again, after a stop: the same port, metastore and warehouse)."""
        self.thrift_port = self.thrift_port or free_port()
        self._spawn("thrift", [
            str(spark_home() / "bin" / "spark-submit"), "--class", THRIFT_SERVER, "--name", "planalign-thrift",
            "--master", self.master_url, "--driver-memory", "1g", "--executor-memory", "768m",
            "--total-executor-cores", str(self.workers),
            "--conf", f"spark.sql.warehouse.dir={self.root / 'warehouse'}",
            *(["--conf", f"spark.ui.port={self.ui_port}", "--conf", "spark.ui.killEnabled=true"] if self.ui_port
              else ["--conf", "spark.ui.enabled=false"]),
            "--conf", "spark.sql.shuffle.partitions=2",
            "--driver-java-options", f"-Dderby.system.home={self.root / 'metastore'}",
            "--hiveconf", f"hive.server2.thrift.port={self.thrift_port}",
            "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
            "spark-internal"])
        self._wait(self.ready, timeout, "the Thrift server")
        self.save()

    def ready(self) -> bool:
        """True when the Thrift server runs a query."""
        if not answers(self.thrift_port):
            return False
        try:
            from pyhive import hive

            with hive.connect("127.0.0.1", port=self.thrift_port, username="planalign") as con:
                cursor = con.cursor()
                cursor.execute("select 1")
                return bool(cursor.fetchall())
        except Exception:
            return False

    def _wait(self, ok, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not ok():
            dead = [n for n, pid in self.pids.items() if not alive(pid)]
            if dead or time.monotonic() > deadline:
                self.stop()
                logs = "\n".join(tail(self.root / "logs" / f"{n}.log") for n in dead or list(self.pids))
                raise RuntimeError(f"{what} did not start ({'ended: ' + ', '.join(dead) if dead else 'timed out'})\n{logs}")
            time.sleep(1.0)

    def running_jobs(self) -> list[int]:
        """The Thrift server's running Spark jobs (its UI's REST API; ``ui_port`` needed)."""
        import urllib.request

        base = f"http://127.0.0.1:{self.ui_port}/api/v1/applications"
        with urllib.request.urlopen(base, timeout=5) as r:
            app = json.loads(r.read())[0]["id"]
        with urllib.request.urlopen(f"{base}/{app}/jobs?status=running", timeout=5) as r:
            return [int(job["jobId"]) for job in json.loads(r.read())]

    def kill_job(self, job: int) -> None:
        """Kill one running Spark job as a cluster's operator does from its UI: the jobs page's
        kill form, posted with the CSRF token the page carries."""
        import re
        import urllib.parse
        import urllib.request

        base = f"http://127.0.0.1:{self.ui_port}"
        with urllib.request.urlopen(f"{base}/jobs/", timeout=10) as r:
            page = r.read().decode()
        form = re.search(r'action="/jobs/job/kill/".*?name="id" value="%d".*?name="csrfToken" value="([^"]+)"' % job,
                         page, re.S)
        fields = {"id": str(job), **({"csrfToken": form.group(1)} if form else {})}
        data = urllib.parse.urlencode(fields).encode()
        urllib.request.urlopen(urllib.request.Request(f"{base}/jobs/job/kill/", data=data), timeout=10).close()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """End one process (a worker lost, the Thrift server gone) by its id."""
        pid = self.pids.pop(name, None)
        if pid is not None:
            end(pid, sig)
            self.save()

    def stop(self) -> None:
        """End every process, the Thrift server first, and wait for each."""
        for name in sorted(self.pids, key=lambda n: (n != "thrift", n == "master")):
            end(self.pids[name])
        self.pids.clear()
        self.save()

    def save(self) -> None:
        (self.root / STATE).write_text(json.dumps({"pids": self.pids, "master_port": self.master_port,
                                                    "thrift_port": self.thrift_port}))

    @classmethod
    def load(cls, root: Path) -> SparkCluster:
        data = json.loads((root / STATE).read_text())
        return cls(root, pids=data["pids"], master_port=data["master_port"], thrift_port=data["thrift_port"])


def alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def end(pid: int, sig: int = signal.SIGTERM, grace: float = 20.0) -> None:
    """End a process and its session: ``sig``, then SIGKILL after ``grace`` seconds."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while alive(pid):
            time.sleep(0.1)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"--- {path.name}: no log"


def main(argv: list[str]) -> int:
    command, root = argv[0], Path(argv[1]).resolve()
    if command == "start":
        cluster = SparkCluster(root).start()
        print(cluster.thrift_port, flush=True)
        return 0
    SparkCluster.load(root).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
