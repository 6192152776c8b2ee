"""The HTML report's pieces (html_report.py) from canned report infos."""

from __future__ import annotations

import re

from pytest_planalign_dbt.html_report import dag_svg, failure_html
from pytest_planalign_dbt.report import ReportInfo


def info(uid: str, status: str, parents: tuple[str, ...] = (), **kw: object) -> ReportInfo:
    return ReportInfo(status=status, kind=None, hook=False, attempts=1, unique_id=uid, parents=parents, **kw)


def test_the_picture_holds_what_went_wrong_and_its_direct_parents_only() -> None:
    long_name = "model.p." + "x" * 40
    nodes = {u.unique_id: u for u in [
        info("seed.p.raw", "success"),
        info("model.p.ok", "success", ("seed.p.raw",)),
        info("model.p.bad", "error", ("model.p.ok", "model.p.eph")),
        info("test.p.t", "fail", ("model.p.ok",)),
        info(long_name, "skipped", ("model.p.bad",)),
        info("model.p.far", "success", (long_name,)),
    ]}
    svg = dag_svg(nodes)
    boxes = dict(re.findall(r"<title>([^<]+): (\w+)</title>", svg))
    assert boxes == {"model.p.ok": "passed", "model.p.bad": "failed", "test.p.t": "failed",
                     long_name: "skipped", "model.p.eph": "other"}  # not seed.p.raw, not model.p.far
    labels = {uid: "".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", box))
              for uid, box in re.findall(r"<title>([^:<]+): \w+</title>(.*?)</g>", svg)}
    assert labels[long_name] == "x" * 40 and labels["test.p.t"] == "t"  # whole names, wrapped
    xs = {uid: int(x) for uid, x in re.findall(r"<title>([^:<]+): \w+</title><rect x=\"(\d+)\"", svg)}
    assert xs["model.p.ok"] < xs["model.p.bad"] < xs[long_name]  # parents left of their children
    assert dag_svg({u: info(u, "success") for u in ("model.p.a", "model.p.b")}) == ""


def test_a_failure_block_escapes_what_dbt_said() -> None:
    block = failure_html(info("model.p.bad", "error", head="dbt execution error: model bad <x>", seconds=1.5,
                              message="Conversion Error: '<abc>'", sql="select '<abc>'::int",
                              rows=[{"id": 1, "v": "<b>"}]))
    assert "<x>" not in block and "&lt;x&gt;" in block and "(1.50 s)" in block
    assert "Conversion Error" not in block  # dbt's message is the row's log: not printed twice
    assert "<details><summary>compiled SQL</summary><pre>select &#x27;&lt;abc&gt;&#x27;::int</pre></details>" in block
    assert "<th>id</th><th>v</th>" in block and "<td>&lt;b&gt;</td>" in block
    assert "failing rows" not in failure_html(info("model.p.bad", "error", head="h"))


def test_twenty_failures_make_a_picture_of_separate_readable_boxes() -> None:
    nodes = {}
    for i in range(20):
        nodes[f"seed.p.s{i}"] = info(f"seed.p.s{i}", "success")
        nodes[f"model.p.m{i}"] = info(f"model.p.m{i}", "error", (f"seed.p.s{i}",))
        nodes[f"model.p.c{i}"] = info(f"model.p.c{i}", "skipped", (f"model.p.m{i}",))
    svg = dag_svg(nodes)
    boxes = [tuple(map(float, b)) for b in re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
                                                      r'height="([\d.]+)"', svg)]
    assert len(boxes) == 60
    for i, (x, y, w, h) in enumerate(boxes):  # no two boxes overlap
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
    width, height = map(int, re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
    assert width < 1000 and height < 20 * 40  # three columns, twenty rows of 12-px text


def test_a_box_shows_the_whole_name_wrapped_and_a_test_without_its_hash() -> None:
    from pytest_planalign_dbt.html_report import box_lines

    long_test = "test.shop.dbt_expectations_expect_column_values_to_match_like_pattern_orders_email.3f2a9c1b7e"
    lines = box_lines(long_test)
    assert "".join(lines) == "dbt_expectations_expect_column_values_to_match_like_pattern_orders_email"
    assert all(len(line) <= 32 for line in lines) and lines[0].endswith("_")  # broken after a '_'
    assert box_lines("model.shop.orders.v2") == ["orders.v2"]  # a version is part of the name
    assert box_lines("test.shop.not_null_orders_id.notahash") == ["not_null_orders_id.notahash"]
    svg = dag_svg({long_test: info(long_test, "fail", ("model.shop.orders",)),
                   "model.shop.orders": info("model.shop.orders", "success")})
    height = int(re.search(r'<title>test[^<]*</title><rect [^>]*height="(\d+)"', svg)[1])
    assert height == 26 + 14 * (len(lines) - 1)  # the box grows with the lines it holds
