"""docs/monitoring.md's alert step, run as GitHub runs it: bash, its `env:`, a stand-in `curl`.

A user pastes it after the watch step of examples/gitops/health-workflow.yml and relies on it to
post when the watch found trouble (exit 1: a report with ``ok: false``) and when it could not
check (exit 2: the shell's ``>`` left an empty report; an earlier step failed: no report), and to
stay quiet when all is well.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

PAGE = Path(__file__).resolve().parents[2] / "docs" / "monitoring.md"
CHAT_URL = "https://chat.example.com/hooks/abc"
COULD_NOT_CHECK = "1NCE webhooks: the health job could not check them; see the run's log"


def page_blocks(syntax: str) -> list[str]:
    return re.findall(rf"```{syntax}\n(.*?)```", PAGE.read_text(), re.S)


@pytest.fixture(scope="module")
def step() -> dict[str, Any]:
    [block] = [b for b in page_blocks("yaml") if "CHAT_WEBHOOK_URL" in b]
    [parsed] = yaml.safe_load(textwrap.dedent(block))
    assert isinstance(parsed, dict)
    return parsed


def run_step(step: dict[str, Any], tmp_path: Path, report: str | None) -> tuple[int, list[str]]:
    """The step's script in a job directory holding ``report`` as webhook-health.json (none if
    ``None``); the exit status and the JSON bodies it posted, one per `curl`."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (GitHub's runners have it)")
    work = tmp_path / "job"
    work.mkdir()
    if report is not None:
        (work / "webhook-health.json").write_text(report)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    posts = tmp_path / "posts"
    curl = bin_dir / "curl"
    # The stand-in records the URL (the last argument) and the body (the argument after -d).
    curl.write_text(
        "#!/bin/bash\n"
        'body=""; while [ $# -gt 1 ]; do [ "$1" = -d ] && body=$2; shift; done\n'
        f'printf \'%s\\0%s\\0\' "$1" "$body" >> {posts}\n'
    )
    curl.chmod(0o755)
    env = {
        k: str(v).replace("${{ secrets.CHAT_WEBHOOK_URL }}", CHAT_URL)
        for k, v in step["env"].items()
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=work,
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    fields = posts.read_text().split("\0")[:-1] if posts.exists() else []
    urls, bodies = fields[0::2], fields[1::2]
    assert set(urls) <= {CHAT_URL}
    return done.returncode, [json.loads(body)["text"] for body in bodies]


def page_report() -> str:
    """The page's own example of a report (a drifted webhook and a disabled one)."""
    [block] = [b for b in page_blocks("json") if '"command": "watch"' in b]
    return block


def test_the_step_runs_when_the_watch_failed_and_holds_only_its_own_secret(step):
    assert step["if"] == "failure()"
    assert step["env"] == {"CHAT_WEBHOOK_URL": "${{ secrets.CHAT_WEBHOOK_URL }}"}


def test_trouble_found_is_posted_naming_each_webhook(step, tmp_path: Path):
    code, posted = run_step(step, tmp_path, page_report())

    assert code == 0
    assert posted == [
        "1NCE webhooks of prod: lifecycle drifted, gitops-location is INTEGRATION_FAILED"
    ]


@pytest.mark.parametrize(
    "report", ["", None], ids=["setup error: empty report", "earlier step failed: no report"]
)
def test_a_job_that_could_not_check_is_posted_too(step, tmp_path: Path, report: str | None):
    code, posted = run_step(step, tmp_path, report)

    assert code == 0
    assert posted == [COULD_NOT_CHECK]


def test_all_well_posts_nothing(step, tmp_path: Path):
    report = {"command": "watch", "stack": "prod", "ok": True, "drift": [], "webhooks": []}
    code, posted = run_step(step, tmp_path, json.dumps(report))

    assert code == 0
    assert posted == []
