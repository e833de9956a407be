"""Run every dbkit benchmark and print one table: measure, dbkit, peer, ratio, target, OK/MISS.

    python bench/run_all.py            # full sizes (about 10 minutes on 2 cores)
    python bench/run_all.py --quick    # smaller sizes, a couple of minutes
    python bench/run_all.py --only migrate --json results.json
    python bench/run_all.py --sweep --json sweep.json   # generate and migrate at every size, plots

The benchmarks: ``bench_generate`` (model generation vs SQLModel), ``bench_bll`` (managers vs the
plain SQLAlchemy ORM, SQLite and PostgreSQL), ``bench_migrate`` (parity, diff and verify vs
Alembic), ``bench_online`` (the write stall of a live PostgreSQL table during a revision: dbkit's
online revision vs Alembic's autogenerate output) and ``bench_validate`` (``validate-data``'s time
and peak RSS vs ORM objects passed to ``model_validate``). Every row's ``ratio`` is dbkit / peer
(lower is better); ``target`` is the ratio to stay at or below and ``limit`` the seconds (or the
MiB a measure names) dbkit's figure must stay under. The runner reports and exits 0 even when a target is missed or a benchmark fails (it
is not a CI gate).

``--sweep`` runs ``bench_generate`` and ``bench_migrate`` at several sizes (:data:`SWEEP`), the median
of 5 alternating runs per point, and draws one PNG per measure: ratio against size, target line drawn.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import textwrap
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(BENCH_DIR.parent))


@dataclass(frozen=True)
class Benchmark:
    """One benchmark module, the peer its rows compare with, and its arguments at each size."""

    name: str
    module: str
    peer_name: str
    full: dict[str, Any]
    quick: dict[str, Any]

    def run(self, quick: bool) -> list[dict[str, Any]]:
        run: Callable[..., list[dict[str, Any]]] = importlib.import_module(self.module).run
        rows = run(**(self.quick if quick else self.full))
        return [
            # a row without a peer_name key gets the benchmark's; ``"peer_name": None`` means no peer
            {"peer_name": self.peer_name, **row, "bench": self.name}
            for row in rows
        ]


BENCHMARKS = (
    Benchmark(
        "generate",
        "bench_generate",
        "SQLModel",
        full={"n_models": 1000, "n_fields": 15, "repeat": 3},
        quick={"n_models": 200, "n_fields": 15, "repeat": 3},
    ),
    Benchmark(
        "bll",
        "bench_bll",
        "plain SQLAlchemy ORM",
        full={"rows": 10_000, "backends": ("sqlite", "postgresql")},
        quick={"rows": 2_000, "backends": ("sqlite", "postgresql")},
    ),
    Benchmark("migrate", "bench_migrate", "Alembic", full={}, quick={"quick": True}),
    Benchmark(
        "validate",
        "bench_validate",
        "ORM objects + model_validate",
        full={"rows": 1_000_000},
        quick={"rows": 100_000},
    ),
    Benchmark(
        "online",
        "bench_online",
        "Alembic autogenerate",
        full={"rows": 2_000_000},
        quick={"rows": 200_000, "scenarios": ("index", "all", "all+reader")},
    ),
)


#: Repetitions per sweep point: the median of 5 alternating runs, so one noisy run flips no verdict.
SWEEP_REPEAT = 5


@dataclass(frozen=True)
class SweepPoint:
    """One size of one benchmark in the sweep: the arguments of its ``run`` at that size."""

    bench: str
    size: int
    unit: str
    arguments: dict[str, Any]


SWEEP = (
    *(
        SweepPoint("generate", n, "models", {"n_models": n, "n_fields": 15, "repeat": SWEEP_REPEAT})
        for n in (50, 200, 1000)
    ),
    *(
        SweepPoint("migrate", n, "tables", {"tables": n, "repeat": SWEEP_REPEAT, "only": ("inprocess",)})
        for n in (50, 200, 1000)
    ),
    *(
        SweepPoint("migrate", n, "tables", {"diff_tables": n, "repeat": SWEEP_REPEAT, "only": ("diff",)})
        for n in (100, 500)
    ),
    # measures without a model count: the sample codebase, verify's rows, the bare start-up
    SweepPoint("migrate", 0, "", {"repeat": SWEEP_REPEAT, "only": ("parity", "verify", "startup")}),
)


# -- verdicts and the table ---------------------------------------------------------------------------
def verdict(row: dict[str, Any]) -> str:
    """OK when every target of the row is met, MISS otherwise; empty for informational rows."""
    if row.get("error"):
        return "ERROR"
    checks = []
    if row.get("target") is not None and row.get("ratio") is not None:
        checks.append(row["ratio"] <= row["target"])
    if row.get("limit") is not None:
        checks.append(row["dbkit"] <= row["limit"])
    if not checks:
        return ""
    return "OK" if all(checks) else "MISS"


def describe_target(row: dict[str, Any]) -> str:
    """``< 0.5 s, ratio <= 0.1 (10x faster)``: the row's targets as the issue states them."""
    parts = []
    if row.get("limit") is not None:
        parts.append(f"< {row['limit']:g} s")
    target = row.get("target")
    if target is not None:
        parts.append(f"ratio <= {target:g}" + (f" ({1 / target:.0f}x faster)" if target < 1 else ""))
    return ", ".join(parts)


def _number(value: Any, width: int, digits: int = 3) -> str:
    return f"{value:>{width}.{digits}f}" if isinstance(value, int | float) else f"{'-':>{width}}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """One plain-text table; figures are seconds unless the measure says otherwise (e.g. MiB)."""
    headers = ("measure", "dbkit", "peer", "peer is", "ratio", "target", "")
    cells = [
        (
            row["measure"],
            _number(row.get("dbkit"), 8),
            _number(row.get("peer"), 8),
            row.get("peer_name") or "",
            _number(row.get("ratio"), 6, 2 if (row.get("ratio") or 0) >= 0.1 else 3),
            row.get("error") or describe_target(row),
            verdict(row),
        )
        for row in rows
    ]
    widths = [max(len(str(value)) for value in column) for column in zip(headers, *cells, strict=True)]
    lines = ["  ".join(f"{value:<{width}}" for value, width in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines.extend(
        "  ".join(f"{value:<{width}}" for value, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )
    return "\n".join(lines)


def print_table(rows: list[dict[str, Any]]) -> None:
    print(format_table(rows))


# -- running -------------------------------------------------------------------------------------------
def run_benchmarks(names: list[str], quick: bool) -> list[dict[str, Any]]:
    """Every selected benchmark in turn; one that fails becomes an ERROR row and the others still run."""
    rows: list[dict[str, Any]] = []
    for bench in BENCHMARKS:
        if bench.name not in names:
            continue
        started = time.perf_counter()
        print(f"running {bench.name}{' (quick)' if quick else ''}...", file=sys.stderr, flush=True)
        try:
            rows.extend(bench.run(quick))
        except Exception as exc:
            traceback.print_exc()
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            rows.append(
                {
                    "bench": bench.name,
                    "measure": f"{bench.name}: failed",
                    "peer_name": bench.peer_name,
                    "error": message,
                }
            )
        print(f"  {bench.name} took {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return rows


def series_of(measure: str) -> str:
    """``parity, in process [200 tables x 15 columns; ...]`` -> ``parity, in process``: the measure
    without its size, which is what a sweep plots against size."""
    return re.sub(r"\s*\[.*\]$", "", measure)


def run_sweep(names: list[str], json_path: Path | None = None) -> list[dict[str, Any]]:
    """The points of :data:`SWEEP` of the named benchmarks; each row also gets its ``size`` and its
    ``series``. With ``json_path``, the rows so far are written after every point (a long sweep on
    a shared machine keeps what it measured if it is stopped)."""
    by_name = {bench.name: bench for bench in BENCHMARKS}
    rows: list[dict[str, Any]] = []
    for point in (point for point in SWEEP if point.bench in names):
        bench = by_name[point.bench]
        label = f"{point.bench} at {point.size} {point.unit}" if point.size else point.bench
        started = time.perf_counter()
        print(f"sweep: {label}...", file=sys.stderr, flush=True)
        try:
            found = Benchmark(bench.name, bench.module, bench.peer_name, point.arguments, {}).run(False)
        except Exception as exc:
            traceback.print_exc()
            found = [{"bench": bench.name, "measure": f"{label}: failed", "error": str(exc).strip()[:200]}]
        rows.extend({**row, "size": point.size, "series": series_of(row["measure"])} for row in found)
        print(f"  {label} took {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        if json_path:
            json_path.write_text(json.dumps(rows, indent=2) + "\n")
    return rows


def _file_name(series: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", series.lower()).strip("_") + ".png"


def plot_sweep(rows: list[dict[str, Any]], directory: Path) -> list[Path]:
    """One small PNG per measure measured at two sizes or more: dbkit / peer against size (log
    scale), with the target ratio drawn where the measure has one, and the measured floor where a
    row names the measure it bounds (``floor_for``: the floor's rows get no plot of their own)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    series: dict[str, list[dict[str, Any]]] = {}
    floors: dict[str, list[dict[str, Any]]] = {}  # a measured floor is drawn on the plot it bounds
    for row in rows:
        if row.get("ratio") is not None and row.get("size"):
            target = floors.setdefault(row["floor_for"], []) if row.get("floor_for") else None
            (target if target is not None else series.setdefault(row["series"], [])).append(row)
    written = []
    for name, points in series.items():
        if len(points) < 2:
            continue
        points.sort(key=lambda row: row["size"])
        floor = sorted(floors.get(name, []), key=lambda row: row["size"])
        figure, axes = plt.subplots(figsize=(5, 3), dpi=80)
        sizes = [row["size"] for row in points]
        axes.plot(sizes, [row["ratio"] for row in points], "o-", label="dbkit / peer")
        if floor:
            axes.plot(
                [row["size"] for row in floor],
                [row["ratio"] for row in floor],
                "s:",
                color="tab:gray",
                label="measured floor / peer",
            )
        target = points[0].get("target")
        if target is not None:
            axes.axhline(target, color="tab:red", linestyle="--", label=f"target <= {target:g}")
        axes.set_xscale("log")
        axes.set_xticks(sizes, [str(size) for size in sizes])
        ratios = [row["ratio"] for row in [*points, *floor]]
        top = max(ratios + ([target] if target is not None else []))
        axes.set_ylim(0, top * 1.2)
        axes.set_xlabel("models" if points[0]["bench"] == "generate" else "tables")
        axes.set_ylabel("ratio (lower is better)")
        axes.set_title(textwrap.fill(name, 64), fontsize=8)
        axes.legend(fontsize=7)
        figure.tight_layout()
        path = directory / _file_name(name)
        figure.savefig(path)
        plt.close(figure)
        written.append(path)
    return written


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The sweep as a Markdown table for bench/README."""

    def cell(value: Any, digits: int = 3) -> str:
        return f"{value:.{digits}f}" if isinstance(value, int | float) else ""

    lines = ["| measure | dbkit | peer | ratio | target | |", "|---|---|---|---|---|---|"]
    for row in rows:
        ratio = row.get("ratio")
        lines.append(
            f"| {row['measure']} | {cell(row.get('dbkit'))} | {cell(row.get('peer'))} "
            f"| {cell(ratio, 2 if (ratio or 0) >= 0.1 else 3)} "
            f"| {row.get('error') or describe_target(row)} | {verdict(row)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes in every benchmark")
    names = [bench.name for bench in BENCHMARKS]
    parser.add_argument(
        "--only", default=",".join(names), help=f"comma-separated subset of {','.join(names)}"
    )
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument(
        "--sweep", action="store_true", help="generate and migrate at every size of SWEEP, with plots"
    )
    parser.add_argument(
        "--plots", type=Path, default=BENCH_DIR / "sweep", help="where --sweep writes its PNGs (bench/sweep)"
    )
    args = parser.parse_args(argv)
    selected = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(selected) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    if args.sweep:
        return main_sweep(selected, args.json, args.plots)
    rows = run_benchmarks(selected, args.quick)
    print_table(rows)
    missed = [row for row in rows if verdict(row) in ("MISS", "ERROR")]
    print(f"\n{len(rows)} rows, {len(missed)} missed or failed (reported only: exit code 0)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def main_sweep(names: list[str], json_path: Path | None, plots: Path) -> int:
    """The sweep: the plain table, the Markdown one for bench/README, the plots; always exits 0."""
    rows = run_sweep(names, json_path)
    print_table(rows)
    print()
    print(markdown_table(rows))
    for path in plot_sweep(rows, plots):
        print(f"wrote {path} ({path.stat().st_size // 1024} kB)")
    return 0


def replot(json_path: Path, plots: Path) -> None:
    """Plots and Markdown of a sweep saved with ``--json`` (e.g. two halves run side by side)."""
    rows = json.loads(json_path.read_text())
    print(markdown_table(rows))
    for path in plot_sweep(rows, plots):
        print(f"wrote {path} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    sys.exit(main())
