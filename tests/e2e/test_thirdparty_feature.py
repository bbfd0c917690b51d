"""A site's own feature, from its own package: examples/thirdparty/autocom-hello.

The package is installed for real (``pip install --no-deps --target``, as a site
would into its environment) and found by autocom through its entry point; the
`autocom` command (check, its CLI command, dialplan, serve) runs as a subprocess
with the package on PYTHONPATH; a call dials its code through the project's
dialplan on the real Asterisk 22 and hears what hello.yaml gives the caller.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Pbx
from tests.support.process import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "examples" / "thirdparty" / "autocom-hello"
AUTOCOM = Path(sys.executable).parent / "autocom"  # the console script of this venv


@pytest.fixture(scope="module")
def site_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """autocom-hello installed into a folder of its own (a copy is built: the build
    leaves nothing in the source tree)."""
    work = tmp_path_factory.mktemp("hello")
    source = work / "autocom-hello"
    shutil.copytree(PACKAGE, source)
    target = work / "site-packages"
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--target", str(target), str(source)),
        ],
        check=True,
        timeout=180,
    )
    assert (target / "autocom_hello" / "__init__.py").is_file()
    return target


@pytest.fixture
def config(tmp_path: Path, site_packages: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTHONPATH", str(site_packages))  # for every autocom subprocess
    shutil.copy(ROOT / "examples" / "site.yaml", tmp_path / "site.yaml")
    shutil.copy(PACKAGE / "hello.yaml", tmp_path / "hello.yaml")
    path = tmp_path / "autocom.yaml"
    path.write_text(
        "timezone: Europe/Paris\nsite: site.yaml\n"
        f"agi: {{host: 127.0.0.1, port: {free_port()}}}\n"
        "http: {enabled: false}\nadmin: {enabled: false}\n"
        f"state: {{backend: sqlite, path: {tmp_path / 'state.sqlite'}}}\n"
        "rules:\n  hello: hello.yaml\n"
    )
    return path


def autocom(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AUTOCOM), "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def served(config: Path) -> Iterator[int]:
    """`autocom serve` running with the package; yields its FastAGI port."""
    port = int(config.read_text().split("port: ")[1].split("}")[0])

    def ready() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return False
        return True

    server = ServerProcess("autocom serve")
    server.start(
        [str(AUTOCOM), "-c", str(config), "serve"],
        ready,
        timeout=30,
        stderr_file=config.parent / "serve.log",
    )
    try:
        yield port
    finally:
        server.end()


def test_its_command_check_and_rule_errors(config: Path) -> None:
    checked = autocom(config, "check")
    assert checked.returncode == 0, checked.stderr
    assert "  runs: hello (hello.yaml)\n" in checked.stdout
    said = autocom(config, "hello", "2001")
    assert (said.returncode, said.stdout) == (0, "2001 dials *44: plays hello-world\n")
    # a rule-file error names hello.yaml:line and what to write instead
    rules = config.parent / "hello.yaml"
    rules.write_text(rules.read_text().replace('"2002": tt-monkeys', '"9999": tt-monkeys'))
    line = rules.read_text().splitlines().index('  "9999": tt-monkeys') + 1
    refused = autocom(config, "check")
    assert refused.returncode == 1
    assert f"{rules}:{line}: greetings: 9999 is not a user of the site" in refused.stderr
    assert "write the extension of a user of site.yaml" in refused.stderr


async def test_its_code_is_dialed_through_the_project_dialplan(
    pbx: Pbx, config: Path, served: int
) -> None:
    rendered = autocom(config, "dialplan")
    assert rendered.returncode == 0, rendered.stderr
    assert "include => autocom-site-hello-codes" in rendered.stdout
    await pbx.load_site_dialplan(rendered.stdout)
    await pbx.set_globals({"AUTOCOM_AGI": f"agi://127.0.0.1:{served}"})

    greeted = await pbx.driver.call("*44", "personnel", caller="2001")
    assert greeted.agistatus == ["SUCCESS"], greeted.summary()
    assert greeted.variable("AUTOCOM_HELLO") == "hello-world"
    assert greeted.played == ["hello-world"]

    other = await pbx.driver.call("*44", "personnel", caller="2003")
    assert other.variable("AUTOCOM_HELLO") == "beep"
    assert other.played == ["beep"]
