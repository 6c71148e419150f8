"""How quickly `iom` answers: `iom --help` and `iom token …`, each a fresh process, against
`python -c pass` in the same run (the interpreter's own start), interleaved so that whatever
else keeps the machine busy weighs on all three alike.

Each is run `--runs` times after one unmeasured run (the files in the page cache); the
figure is the median wall time. Target: each at most 10× `python -c pass`.

Two floors are measured beside them, so that the arithmetic of what is left is in the same
run: importing typer with the pydantic adapters it converts every option with (any typer
command pays it), and that plus the deployment's settings (pydantic-settings), which `iom
token` must read for the secret, the audience and the longest lifetime.

Run `python -m bench.cli [--runs N] [--write BENCHMARKS.md]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.sections import write_section
from bench.store import machine

SECTION = "Command line start-up"
BEGIN, END = "<!-- cli:begin -->", "<!-- cli:end -->"
TARGET = 10.0  # at most this many times `python -c pass`
IOM = [sys.executable, "-m", "workers.cli"]
TOKEN_COMMAND = "iom token --role methodist --region sakha"  # noqa: S105 - a command line
SETTINGS_FLOOR = "floor: … and the settings"
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "iom --help": [*IOM, "--help"],
    TOKEN_COMMAND: [
        *IOM,
        *("token", "--role", "methodist", "--sub", "methodist-sakha-01", "--region", "sakha"),
    ],
}
FLOORS = {
    "floor: typer and its option adapters": [
        *(sys.executable, "-c", "import typer.main, typer._adapters"),
    ],
    SETTINGS_FLOOR: [
        *(sys.executable, "-c", "import typer.main, typer._adapters, runtime.settings"),
    ],
}
"""What a command pays before its own code: not commands, no target of their own."""
BASELINE = "python -c pass"
RUN = COMMANDS | FLOORS


@dataclass(frozen=True)
class Report:
    """The medians, in seconds, by command; the run's settings."""

    medians: dict[str, float]
    runs: int
    date: str


def once(argv: list[str], env: dict[str, str]) -> float:
    """One run's wall time, in seconds (a failed run fails the benchmark)."""
    began = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - ours
    return time.perf_counter() - began


def measure(runs: int, data_dir: Path) -> Report:
    """Each command `runs` times, interleaved, after one unmeasured run of each."""
    env = os.environ | {"IOM_DATA_DIR": str(data_dir), "IOM_LOG_FORMAT": "json"}
    times: dict[str, list[float]] = {name: [] for name in RUN}
    for argv in RUN.values():
        once(argv, env)
    for _ in range(runs):
        for name, argv in RUN.items():
            times[name].append(once(argv, env))
    medians = {name: statistics.median(each) for name, each in times.items()}
    return Report(medians, runs, datetime.now(UTC).strftime("%Y-%m-%d"))


def render(report: Report) -> str:
    """This benchmark's section of BENCHMARKS.md, between its markers."""
    base = report.medians[BASELINE]
    lines = [
        f"## {SECTION}",
        "",
        BEGIN,
        "",
        f"Produced by `python -m bench.cli --runs {report.runs}` on {report.date}; see the"
        f" module's docstring for the method. Machine: {machine()}. Target: each command at"
        f" most {TARGET:g}× `python -c pass`; the floors are what a command pays before its"
        " own code.",
        "",
        "| command | median wall time, ms | × `python -c pass` | target met |",
        "|---|---:|---:|---|",
    ]
    for name, median in report.medians.items():
        ratio = median / base
        if name in FLOORS:
            lines.append(f"| {name} | {median * 1000:.0f} | {ratio:.1f} | — |")
            continue
        met = "—" if name == BASELINE else ("yes" if ratio <= TARGET else "**no**")
        lines.append(f"| `{name}` | {median * 1000:.0f} | {ratio:.1f} | {met} |")
    token, floor = report.medians[TOKEN_COMMAND], report.medians[SETTINGS_FLOOR]
    lines += [
        "",
        f"`iom token` beyond the floor of typer and the settings: {(token - floor) * 1000:.0f} ms"
        f" ({(token - floor) / base:.1f}× `python -c pass`): typer converting each of its"
        " options (a pydantic adapter built per option as the line is parsed), the roles'"
        " module, the regions read from the profile files, the development secret, the"
        f" signature. The floor alone is {floor / base:.1f}× of the {TARGET:g}×.",
        "",
        END,
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and write) its section."""
    parser = argparse.ArgumentParser(prog="python -m bench.cli", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="measured runs of each command")
    parser.add_argument("--write", type=Path, metavar="BENCHMARKS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as data_dir:
        report = measure(args.runs, Path(data_dir))
    section = render(report)
    print(section)
    if args.write:
        write_section(args.write, SECTION, END, section)
        print(f"wrote «{SECTION}» to {args.write}")


if __name__ == "__main__":
    main()
