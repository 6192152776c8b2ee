"""The pytest-html report of a red build, as a browser shows it: a screenshot for the README.

    python benchmarks/html_report.py [--out benchmarks/results/html_report.png]

Copies tests/projects/rich (its local package installed), runs the plugin on it with
``--html`` (3 failed, 2 errors, 2 data-quality failures), then opens the report in headless
Chromium (Debian's ``chromium``; ``apt-get install chromium`` where it is missing) and saves a
screenshot: the summary's picture of what went wrong, and the first failing rows expanded.
Needs pytest-html (the dev extra).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.verdicts import copy_project, run_pytest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "html_report.png")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("no chromium on PATH: apt-get install chromium")
    root = Path(tempfile.mkdtemp(prefix="html-report-"))
    copy_project(ROOT / "tests" / "projects" / "rich", root)
    result = run_pytest(root, "--dbt-project-dir=rich", "--dbt-select=*", "--dbt-threads=1",
                        "--html=report.html", "--self-contained-html")
    print(result.stdout.splitlines()[-1])
    report = root / "report.html"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={args.out}", "--window-size=1400,1700", "--virtual-time-budget=5000",
                    report.as_uri()], check=True, capture_output=True)
    print(f"{report}\n{args.out}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
