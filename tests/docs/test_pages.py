"""Every page's shell and Python blocks run as written, in order, against the emulator.

Each page runs in its own copy of the repository and its own shell (see pages.py), with no
Pulumi login, passphrase or 1NCE credential in the environment: the page sets up the state
backend, the passphrase and the emulator (`http://127.0.0.1:8765/management-api`, user `demo`)
itself. Blocks that need the real 1NCE carry `<!--pytest.mark.skip(reason="...")-->`.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pytest_codeblocks import extract_from_file

from tests.docs.pages import (
    DOC_PORTS,
    LOCK_FILE,
    REPO,
    Block,
    BlockFailedError,
    PageSession,
    blocks,
    pages,
    port_in_use,
)
from tests.e2e.engine import require_engine

EMULATOR_URL = "http://127.0.0.1:8765/management-api"
EMULATOR_USER = "demo:demo-password"
LOCK_WAIT_S = 1800


@pytest.fixture
def doc_ports() -> Iterator[None]:
    """The documented ports, for one page at a time on this machine, free before and after."""
    with LOCK_FILE.open("a") as lock:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another docs test held {LOCK_FILE} for {LOCK_WAIT_S} s")
                time.sleep(1)
        try:
            busy = [port for port in DOC_PORTS if port_in_use(port)]
            if busy:
                pytest.fail(
                    f"127.0.0.1 port(s) {busy} are in use by another program; the pages start "
                    f"the emulator (and the quickstart's receiver) there: stop it and rerun"
                )
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


@pytest.mark.e2e
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("page", pages(), ids=_page_id)
def test_every_block_of_the_page_runs_as_written(
    page: Path, tmp_path: Path, doc_ports: None
) -> None:
    require_engine()
    todo = blocks(page)
    session = PageSession(tmp_path)
    skipped: list[Block] = []
    try:
        for block in todo:
            if block.skip_reason is not None:
                skipped.append(block)
                continue
            session.run(block)
    finally:
        session.close()
    left = [port for port in DOC_PORTS if port_in_use(port)]
    assert not left, f"{_page_id(page)} left a server listening on 127.0.0.1:{left}"
    if skipped:
        print("\n".join(f"skipped {b.where}: {b.skip_reason}" for b in skipped))


@pytest.mark.parametrize("page", pages(), ids=_page_id)
def test_every_skipped_block_says_why(page: Path) -> None:
    unexplained = [b.where for b in blocks(page) if b.skip_reason is not None and not b.skip_reason]
    assert not unexplained, f"skipped without a reason: {unexplained}"


def test_the_pages_agree_on_the_emulator_address_and_user() -> None:
    texts = {_page_id(page): page.read_text() for page in pages()}
    found: list[str] = []
    for name, text in texts.items():
        for url in re.findall(r"http://(?:127\.0\.0\.1|localhost):\d+/management-api", text):
            found.append(f"{name}: {url}")
        for port in re.findall(r"onence-emulator[^\n]*?--port[ =](\d+)", text):
            found.append(f"{name}: {EMULATOR_URL.replace('8765', port)}")
        code = "".join(b.code for b in extract_from_file(REPO / name))
        for user in re.findall(r"(?:--user[ =]|ONENCE_EMULATOR_USERS=)[\"']?([^\s\"']+)", code):
            found.append(f"{name}: user {user}")
    dev_text = (REPO / "Pulumi.dev.yaml").read_text()
    found += [f"Pulumi.dev.yaml: {url}" for url in re.findall(r"http://[^\s)`]+", dev_text)]
    wrong = [f for f in found if EMULATOR_URL not in f and f"user {EMULATOR_USER}" not in f]
    assert not wrong, f"every page uses {EMULATOR_URL} and {EMULATOR_USER}; these differ: {wrong}"
    dev = yaml.safe_load(dev_text)["config"]
    assert dev["onence:apiUrl"] == EMULATOR_URL
    assert dev["onence:username"] == EMULATOR_USER.split(":")[0]


# --- the runner itself: a page that stops working fails ------------------------------------


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text)
    return page


def test_a_failing_command_in_the_middle_of_a_block_fails_the_page(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "# t\n\n```bash\necho one\nls does-not-exist\necho still-runs\n```\n",
    )
    session = PageSession(tmp_path / "run")
    try:
        with pytest.raises(BlockFailedError, match=r"page.md:3: .*`ls does-not-exist` exited 2"):
            session.run(blocks(page)[0])
    finally:
        session.close()


def test_a_failing_python_block_fails_the_page(tmp_path: Path) -> None:
    page = _page(tmp_path, "```python\nraise SystemExit('broken snippet')\n```\n")
    session = PageSession(tmp_path / "run")
    try:
        with pytest.raises(BlockFailedError, match="broken snippet"):
            session.run(blocks(page)[0])
    finally:
        session.close()


def test_blocks_share_one_terminal_and_the_page_starts_from_a_clean_environment(
    tmp_path: Path,
) -> None:
    page = _page(
        tmp_path,
        "```bash\ncd examples\nexport GREETING=hello\nsleep 300 &\necho $! > sleeper.pid\n```\n\n"
        '```sh\necho "$GREETING from $(basename "$PWD")"\n'
        'echo "backend=${PULUMI_BACKEND_URL:-none} user=${ONENCE_USERNAME:-none}"\n```\n\n'
        "```python\nimport os\n"
        "print(os.getcwd().endswith('examples'), os.environ['GREETING'])\n```\n",
    )
    session = PageSession(tmp_path / "run")
    try:
        first, second, third = (session.run(b) for b in blocks(page))
        sleeper = int((session.repo / "examples" / "sleeper.pid").read_text())
    finally:
        session.close()
    assert first == ""
    assert second == "hello from examples\nbackend=none user=none\n"
    assert third == "True hello\n"
    with pytest.raises(ProcessLookupError):  # close() stopped what the page left running
        os.kill(sleeper, 0)


def test_a_marked_block_is_skipped_with_its_reason(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        '<!--pytest.mark.skip(reason="needs a real 1NCE account")-->\n'
        "```bash\npulumi up\n```\n\n```console\n$ not run\n```\n",
    )
    (block,) = blocks(page)
    assert block.skip_reason == "needs a real 1NCE account"
