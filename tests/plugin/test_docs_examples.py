"""Every code example of the README and docs/ runs, on a copy of example_project.

- A Python block with tests is a test file: pytest runs it and every test passes (a golden
  check that writes its file on the first run, as the page says, passes on the second).
- A page's other Python blocks are one script, run in order in a directory holding
  ``example_project`` (a later block uses what an earlier one made, as a reader would).
- A Python block that is a test file of this suite, word for word, runs as that file.
- YAML and INI blocks parse; every ``--dbt-*`` flag and ``dbt_*`` ini key a page shows exists.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from pytest_planalign_dbt.options import OPTIONS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
# Blocks that are files of this suite: the suite runs them as those files.
SUITE_FILES = [ROOT / "tests" / "plugin" / "scenarios" / "test_workforce_scenarios.py"]
GOLDEN_CREATED = "review and commit it, then run again"


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    lang: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _examples() -> list[Example]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            found.append(Example(str(page.relative_to(ROOT)), text.count("\n", 0, match.start()) + 1,
                                 match.group(1), match.group(2)))
    return found


EXAMPLES = _examples()
SUITE_TEXTS = {path: path.read_text(encoding="utf-8").split('"""', 2)[2].strip() for path in SUITE_FILES}
PYTHON = [e for e in EXAMPLES if e.lang == "python"]
IN_SUITE = [e for e in PYTHON if e.code.strip() in SUITE_TEXTS.values()]
TEST_FILES = [e for e in PYTHON if "def test_" in e.code and e not in IN_SUITE]
SCRIPTS: dict[str, list[Example]] = {}
for _example in PYTHON:
    if "def test_" not in _example.code:
        SCRIPTS.setdefault(_example.page, []).append(_example)


def test_every_fenced_block_is_found_and_each_python_one_runs_one_way() -> None:
    fences = sum(len(re.findall(r"^```", page.read_text(encoding="utf-8"), re.M)) for page in PAGES)
    assert fences == 2 * len(EXAMPLES)  # a block the pattern missed would be one no test runs
    for example in PYTHON:
        ways = (example in IN_SUITE) + (example in TEST_FILES) + any(example in s for s in SCRIPTS.values())
        assert ways == 1, example.id
    assert len(IN_SUITE) == len(SUITE_FILES)  # the page still holds the suite's file, word for word


@pytest.mark.parametrize("example", TEST_FILES, ids=lambda e: e.id)
def test_a_test_example_passes_on_example_project(example: Example, dbt_project, run, pytester) -> None:
    dbt_project("example_project")
    pytester.makepyfile(test_example=example.code)
    args = ("--dbt-project-dir", "example_project", "--dbt-simulation-year", "2025")
    result = run(*args)
    if GOLDEN_CREATED in result.stdout.str():
        result = run(*args)
    outcomes = result.parseoutcomes()
    assert result.ret == 0 and outcomes.get("passed", 0) >= example.code.count("def test_"), outcomes


@pytest.mark.parametrize("page", sorted(SCRIPTS))
def test_a_pages_script_examples_run_in_order(page: str, dbt_project, pytester, monkeypatch) -> None:
    dbt_project("example_project")
    monkeypatch.chdir(pytester.path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for example in SCRIPTS[page]:
            exec(compile(example.code, example.id, "exec"), namespace)  # noqa: S102 - the page's own code
    assert "Traceback" not in printed.getvalue()


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.lang in ("yaml", "ini")], ids=lambda e: e.id)
def test_a_config_example_parses(example: Example) -> None:
    if example.lang == "yaml":
        assert yaml.safe_load(example.code) is not None
        return
    parser = configparser.ConfigParser()
    parser.read_string(example.code)
    unknown = set(parser["pytest"]) - {o.ini for o in OPTIONS}
    assert unknown == set()


def test_every_dbt_option_a_page_shows_exists() -> None:
    flags = {o.flag for o in OPTIONS}
    shown = {(e.id, flag) for e in EXAMPLES for flag in re.findall(r"--dbt-[a-z-]+", e.code)}
    assert {(where, flag) for where, flag in shown if flag not in flags} == set()
    assert len(shown) > 20


# A row of measured times: "| ... | 4.2 s | 1.05x |", the shape of every benchmark table.
MEASURED_ROW = re.compile(r"^\|.*\d+\.\d+ s\b.*\|.*\d+\.\d+x", re.M)


def test_no_page_holds_a_benchmark_table_copied_by_hand() -> None:
    # Pages include benchmarks/results/*.md (pymdownx.snippets); a table typed into a page goes stale.
    copied = [str(page.relative_to(ROOT)) for page in PAGES if MEASURED_ROW.search(page.read_text(encoding="utf-8"))]
    assert copied == []
    assert MEASURED_ROW.search("| `dbt build` | 3.303 s (min 3.194) | 1.00x |")
    included = {m for page in PAGES for m in re.findall(r'^--8<-- "(benchmarks/results/[^"]+)"',
                                                        page.read_text(encoding="utf-8"), re.M)}
    assert included and all((ROOT / path).is_file() for path in included)


def test_the_readmes_links_reach_pages_that_exist() -> None:
    # mkdocs --strict checks the links between the site's pages; the README is not one of them.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme)
    assert len(links) >= 10 and [link for link in links if not (ROOT / link).exists()] == []
