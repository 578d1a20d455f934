"""The results file and its table: p95 as ratios to the authenticated floor and to the page's own
p95 at the smallest size, query counts at every size, and which goals a run missed."""

from __future__ import annotations

FLOOR = "authenticated floor"
BARE = "bare view (no session)"
# Goals at the largest size (bench/README.md). Timing is reported against them, never failed on.
FLOOR_GOAL = 5.0
GROWTH_GOAL = 1.5
# The dashboard's own queries against a hand-written set-based SQL (bench/outcomes_reference.py).
OUTCOMES_GOAL = 2.0
# A sequential scan of a table the planner thinks this big is a hot query without an index.
BIG_TABLE_ROWS = 10_000


def _ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    return round(a / b, 2)


def analyse(runs: dict[int, dict]) -> dict:
    """Per page: the ratios, and the failures (non-200, query count that differs by size)."""
    sizes = sorted(runs)
    small, large = sizes[0], sizes[-1]
    labels = list(runs[small]["pages"])
    failures: list[str] = []
    missed: list[str] = []
    rows = []
    for label in labels:
        per_size = {size: runs[size]["pages"].get(label, {}) for size in sizes}
        row: dict = {"page": label, "sizes": {}}
        for size, result in per_size.items():
            if "skipped" in result:
                row["sizes"][size] = {"skipped": result["skipped"]}
                continue
            floor = runs[size]["pages"].get(FLOOR, {}).get("p95_ms")
            row["sizes"][size] = {
                "p50_ms": result["p50_ms"],
                "p95_ms": result["p95_ms"],
                "queries": result["queries"],
                "html_bytes": result["html_bytes"],
                "throughput_rps": result["throughput_rps"],
                "p95_to_floor": _ratio(result["p95_ms"], floor),
            }
            if result["statuses"] != [200]:
                failures.append(f"{label} at {size}: status {result['statuses']}")
        counts = {size: r["queries"] for size, r in per_size.items() if "queries" in r}
        if len(set(counts.values())) > 1:
            failures.append(
                f"{label}: query count changes with data size "
                + ", ".join(f"{c} at {s}" for s, c in counts.items())
            )
        big = row["sizes"].get(large, {})
        base = row["sizes"].get(small, {})
        row["growth"] = _ratio(big.get("p95_ms"), base.get("p95_ms")) if large != small else None
        if label not in (FLOOR, BARE) and big.get("p95_to_floor") is not None:
            if big["p95_to_floor"] > FLOOR_GOAL:
                missed.append(f"{label}: p95 {big['p95_to_floor']}× the floor at {large}")
            if row["growth"] is not None and row["growth"] > GROWTH_GOAL:
                missed.append(f"{label}: p95 at {large} is {row['growth']}× its p95 at {small}")
        rows.append(row)
    scans = {
        f"{label} at {size}": sorted({t for finding in findings for t in finding["tables"]})
        for size in sizes
        for label, findings in runs[size].get("seq_scans_of_big_tables", {}).items()
        if findings
    }
    outcomes = {size: runs[size].get("outcomes_reference") for size in sizes}
    for size, result in outcomes.items():
        if not result:
            continue
        result["ratio"] = _ratio(result["dashboard_queries_p95_ms"], result["reference_p95_ms"])
        if not result["same_numbers"]:
            failures.append(f"outcomes at {size}: the reference SQL and the dashboard disagree")
        if size == large and result["ratio"] and result["ratio"] > OUTCOMES_GOAL:
            missed.append(f"outcomes dashboard: {result['ratio']}× the set-based SQL at {size}")
    return {
        "rows": rows,
        "failures": failures,
        "goals_missed": missed,
        "seq_scans": scans,
        "outcomes_reference": outcomes,
    }


def _fmt(value, suffix: str = "") -> str:
    return "–" if value is None else f"{value}{suffix}"


def markdown(analysis: dict, sizes: list[int], environment: dict) -> str:
    head = ["page"]
    for size in sizes:
        head += [f"p50 ms @{size}", f"p95 ms @{size}", f"p95/floor @{size}", f"queries @{size}"]
    if len(sizes) > 1:
        head.append(f"p95 {sizes[-1]}/{sizes[0]}")
    head += ["HTML bytes", f"req/s @{sizes[-1]}"]
    lines = [
        f"Run {environment['date']} on {environment['cpu']} ({environment['cpus']} CPUs), "
        f"Python {environment['python']}, PostgreSQL {environment['postgresql']}, "
        f"commit {environment['commit']}. Seeded with: {environment['seeders']}.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in analysis["rows"]:
        cells = [row["page"]]
        for size in sizes:
            result = row["sizes"].get(size, {})
            if "skipped" in result:
                cells += ["skipped", "", "", ""]
                continue
            cells += [
                _fmt(result.get("p50_ms")),
                _fmt(result.get("p95_ms")),
                _fmt(result.get("p95_to_floor"), "×"),
                _fmt(result.get("queries")),
            ]
        if len(sizes) > 1:
            cells.append(_fmt(row["growth"], "×"))
        last = row["sizes"].get(sizes[-1], {})
        cells += [_fmt(last.get("html_bytes")), _fmt(last.get("throughput_rps"))]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if analysis["failures"]:
        lines += ["**Failures** (the run exits non-zero):", ""]
        lines += [f"- {failure}" for failure in analysis["failures"]]
        lines.append("")
    if analysis["goals_missed"]:
        lines += [
            f"**Timing goals missed** (p95 ≤ {FLOOR_GOAL}× the floor and ≤ {GROWTH_GOAL}× its own "
            f"p95 at {sizes[0]}; reported, not failed on: timing on a shared machine is noisy):",
            "",
        ]
        lines += [f"- {goal}" for goal in analysis["goals_missed"]]
        lines.append("")
    if analysis.get("seq_scans"):
        lines += [
            f"**EXPLAIN: sequential scans of tables of {BIG_TABLE_ROWS:,}+ rows** (a hot query "
            "without an index; the SQL is in the JSON):",
            "",
        ]
        lines += [f"- {page}: {', '.join(t)}" for page, t in analysis["seq_scans"].items()]
    else:
        lines.append(
            f"EXPLAIN: no page's query scans a table of {BIG_TABLE_ROWS:,}+ rows sequentially."
        )
    lines.append("")
    for size, result in analysis.get("outcomes_reference", {}).items():
        if result:
            lines.append(
                f"Outcomes at {size} ({result['instrument']}, {result['courses_with_baseline']} "
                f"courses with a baseline): the dashboard's cohort queries p95 "
                f"{result['dashboard_queries_p95_ms']} ms, the set-based reference p95 "
                f"{result['reference_p95_ms']} ms ({_fmt(result.get('ratio'), '×')}; goal "
                f"≤ {OUTCOMES_GOAL}×); same numbers: {'yes' if result['same_numbers'] else 'NO'}."
            )
    lines.append("")
    return "\n".join(lines)
