"""The README's Quickstart run command and its five-minute tour, run exactly as written.

The commands name `.venv/bin/…` and the default ports, as a reader types them: the test runs them
in a folder of its own whose `.venv` is this interpreter's environment, on ports 8000, 7233 and
8233 (it fails, saying so, when something else holds them)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from aggregates.application import route_id_for
from aggregates.profiles import Stage
from runtime.settings import Settings
from tests.support.up import start_up
from workers.context import build_routes
from workers.up import port_free

README = Path(__file__).parents[2] / "README.md"
DEFAULT_PORTS = (8000, 7233, 8233)


def section(title: str) -> str:
    """The README's text under `## title`, up to the next section."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def bash_blocks(text: str) -> list[str]:
    """The ```bash blocks of `text`."""
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


def run_command() -> str:
    """The Quickstart's first command: the one that runs the engine."""
    return bash_blocks(section("Quickstart"))[0].splitlines()[0]


def test_the_quickstart_runs_the_engine_with_iom_up() -> None:
    install, _, run = run_command().rpartition(" && ")
    assert install == "python3 -m venv .venv && .venv/bin/pip install -e ."
    assert run == ".venv/bin/iom up --demo"


def test_the_tour_runs_as_written(tmp_path: Path) -> None:
    taken = [port for port in DEFAULT_PORTS if not port_free("127.0.0.1", port)]
    assert not taken, f"the tour uses ports {DEFAULT_PORTS}; taken here: {taken}"
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    run = run_command().rpartition(" && ")[2]
    up = start_up(["bash", "-c", run], cwd=tmp_path)
    try:
        up.wait_ready()
        tour = "\n".join(bash_blocks(section("A five-minute tour")))
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", tour],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "\nimplementation\n" in done.stdout  # step 2: the route is approved
        assert "Цепочки целы" in done.stdout  # step 5: every route's chain checked
    finally:
        code = up.terminate()
    assert code == 0, up.lines

    routes = build_routes(Settings(data_dir=tmp_path / "var"))
    try:
        opened = routes.route(route_id_for("sakha", "tour-0001"))
        assert (opened.stage, opened.teacher_id) == (Stage.OPENED, "teacher-tour-0001")
        agreed = routes.route(route_id_for("sakha", "demo-sakha-00004"))
        assert agreed.stage is Stage.IMPLEMENTATION
        implemented = routes.route(route_id_for("sakha", "demo-sakha-00005"))
        assert implemented.activities["a1"].status == "done"
    finally:
        routes.close()
