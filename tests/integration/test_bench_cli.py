"""The command-line start-up benchmark runs at a tiny size and writes its own section."""

from __future__ import annotations

from pathlib import Path

from bench import cli


def test_the_cli_benchmark_measures_and_writes_its_section(tmp_path: Path) -> None:
    report = cli.measure(1, tmp_path)
    assert set(report.medians) == set(cli.RUN)
    assert all(median > 0 for median in report.medians.values())
    assert (tmp_path / "portal-jwt-secret").exists()  # iom token signed, with the dev secret

    benchmarks = tmp_path / "BENCHMARKS.md"
    benchmarks.write_text("# Benchmarks\n\n## Event store\n\nkept\n", encoding="utf-8")
    cli.main(["--runs", "1", "--write", str(benchmarks)])
    cli.main(["--runs", "1", "--write", str(benchmarks)])
    text = benchmarks.read_text(encoding="utf-8")
    assert "kept" in text and text.count(f"## {cli.SECTION}") == 1
    assert "| `iom --help` |" in text and "| `iom token" in text
    assert "| floor: … and the settings |" in text and "beyond the floor" in text
