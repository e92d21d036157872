"""What `onence import` writes (fleet-file entries, Python calls) reads back exactly as 1NCE holds
it, and the fleet file is extended without losing a line of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_onence._errors import ConfigurationError
from pulumi_onence._fleet import (
    Declaration,
    append_declarations,
    find_project,
    read_declared,
    render_declarations,
)
from pulumi_onence._import_plan import ImportPlan, Planned, render_python

HOOK = Declaration(
    resource="fleet-telemetry",
    adopt_id="Jv2cS-pPcy0NdtQ64ycZJ",
    name="Fleet Telemetry",
    url="https://ingest.example.com/1nce?iccid=:iccid:",
    event_types=("TELEMETRY_DATA", "LOCATION"),
    json_payload_enabled=True,
    headers={"x-api-key": "fleetTelemetryXApiKey"},
)

text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    name=text,
    url=text,
    resource=text,
    adopt_id=text,
    header=st.from_regex(r"\A[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}\Z"),
    json_flag=st.booleans(),
)
def test_any_declaration_reads_back_exactly_as_1nce_holds_it(
    name, url, resource, adopt_id, header, json_flag
):
    decl = Declaration(
        resource=resource,
        adopt_id=adopt_id,
        name=name,
        url=url,
        event_types=("LIFECYCLE", "ERROR"),
        json_payload_enabled=json_flag,
        headers={header: "someKey"},
    )

    doc = yaml.safe_load("webhooks:\n" + render_declarations([decl]))

    assert doc["webhooks"] == [decl.to_yaml_object()]


def test_a_new_file_is_created_with_the_entries(tmp_path: Path):
    path = tmp_path / "webhooks.yaml"

    append_declarations(path, [HOOK])

    assert yaml.safe_load(path.read_text())["webhooks"] == [HOOK.to_yaml_object()]
    assert read_declared(path)[0].adopt_id == HOOK.adopt_id


def test_an_existing_list_keeps_its_text_and_gets_the_entries_at_its_indentation(tmp_path: Path):
    path = tmp_path / "webhooks.yaml"
    original = "webhooks:\n- resource: mine  # mine\n  url: https://x.example.com\n"
    path.write_text(original)

    append_declarations(path, [HOOK])

    assert path.read_text().startswith(original)
    assert [e["resource"] for e in yaml.safe_load(path.read_text())["webhooks"]] == [
        "mine",
        "fleet-telemetry",
    ]


def test_an_empty_webhooks_key_gets_the_entries(tmp_path: Path):
    path = tmp_path / "webhooks.yaml"
    path.write_text("# nothing yet\nwebhooks:\n")

    append_declarations(path, [HOOK])

    assert len(yaml.safe_load(path.read_text())["webhooks"]) == 1


@pytest.mark.parametrize(
    "original",
    [
        "webhooks: []\n",
        "webhooks:\n  - resource: a\nother: 1\n",
        "- just a list\n",
    ],
)
def test_a_file_that_cannot_be_extended_safely_is_left_alone(tmp_path: Path, original: str):
    path = tmp_path / "webhooks.yaml"
    path.write_text(original)

    with pytest.raises(ConfigurationError, match="cannot append to"):
        append_declarations(path, [HOOK])

    assert path.read_text() == original


def test_invalid_yaml_is_one_line_naming_the_line(tmp_path: Path):
    path = tmp_path / "webhooks.yaml"
    path.write_text("webhooks:\n  - resource: [\n")

    with pytest.raises(ConfigurationError, match=r"not valid YAML \(line \d+\)"):
        read_declared(path)


def test_the_project_is_found_above_the_directory_and_knows_its_default_file(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text(
        "name: proj\nruntime: python\nconfig:\n  webhooksFile:\n    default: hooks/all.yaml\n"
    )
    (tmp_path / "sub").mkdir()

    project = find_project(tmp_path / "sub")

    assert project.name == "proj"
    assert project.webhooks_file({}) == tmp_path / "hooks" / "all.yaml"
    assert project.webhooks_file({"proj:webhooksFile": "mine.yaml"}) == tmp_path / "mine.yaml"
    assert project.webhooks_file({"proj:webhooksFile": "/abs/x.yaml"}) == Path("/abs/x.yaml")


@settings(max_examples=200, deadline=None)
@given(name=text, url=text, header=st.from_regex(r"\A[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}\Z"))
def test_the_python_form_reads_back_exactly_as_1nce_holds_it(name, url, header):
    decl = Declaration(
        resource="hook",
        adopt_id="id-1",
        name=name,
        url=url,
        event_types=("LIFECYCLE", "NOT_YET_KNOWN"),
        json_payload_enabled=False,
        headers={header: "hookKey"},
    )
    plan = ImportPlan([Planned("id-1", name, "declare", declaration=decl)])

    tree = ast.parse(render_python(plan, stored=True))

    [call] = [n.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "hook"]
    kwargs = {k.arg: k.value for k in call.keywords}
    assert ast.literal_eval(kwargs["name"]) == name
    assert ast.literal_eval(kwargs["url"]) == url
    assert ast.literal_eval(kwargs["headers"].keys[0]) == header
    assert ast.unparse(kwargs["event_types"]) == "[EventType.LIFECYCLE, 'NOT_YET_KNOWN']"


def test_import_plans_an_empty_header_value_as_a_value_to_store_and_asterisks_as_masked() -> None:
    from pulumi_onence._import_plan import plan_import
    from pulumi_onence._models import Integration
    from pulumi_onence._stack import StackState

    listed = Integration.model_validate({"id": "w1", "name": "hook", "type": "WEBHOOK"})
    full = Integration.model_validate(
        {
            "id": "w1",
            "name": "hook",
            "url": "https://hooks.example.com/1",
            "eventTypes": [{"type": "LIFECYCLE"}],
            "headers": {"x-empty": "", "x-masked": "***"},
        }
    )
    state = StackState(name="dev", project="p", webhooks=[])

    plan = plan_import([listed], {"w1": full}, state, [], [], [])

    (item,) = plan.to_declare
    masked = {h.header: h.masked for h in item.headers}
    assert masked == {"x-empty": False, "x-masked": True}
    assert list(item.values.values()) == [""]
