"""The S3 server the GitOps tests keep Pulumi state in: its own credentials, loopback only,
nothing left running or lying around once stopped."""

from __future__ import annotations

from pathlib import Path

import boto3  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import pytest
import requests
from onence_devtools.gitops.processes import listeners, session_members
from onence_devtools.gitops.seaweedfs import REGION, SeaweedFS

pytestmark = pytest.mark.e2e  # needs a provisioned binary, like the engine-driven tests


def test_the_bucket_answers_only_its_own_credentials_on_loopback(weed: str, tmp_path: Path):
    """Writer and reader identities; anonymous and wrongly signed requests refused."""
    server = SeaweedFS(weed, tmp_path / "s3")
    with server:
        server.create_bucket("pulumi-state")
        server.s3.put_object(Bucket="pulumi-state", Key=".pulumi/meta.yaml", Body=b"version: 1\n")
        assert server.keys("pulumi-state") == [".pulumi/meta.yaml"]
        assert server.read("pulumi-state", ".pulumi/meta.yaml") == b"version: 1\n"

        # Anonymous and wrongly signed requests are refused: the bucket is not public.
        anonymous = requests.get(f"{server.endpoint}/pulumi-state/.pulumi/meta.yaml", timeout=10)
        assert anonymous.status_code == 403
        stranger = boto3.session.Session().client(
            "s3",
            endpoint_url=server.endpoint,
            aws_access_key_id=server.access_key,
            aws_secret_access_key="not-the-secret-key",
            region_name=REGION,
        )
        with pytest.raises(botocore.exceptions.ClientError, match="SignatureDoesNotMatch"):
            stranger.get_object(Bucket="pulumi-state", Key=".pulumi/meta.yaml")
        stranger.close()

        # The reader identity reads and lists, and may not write or delete.
        reader = boto3.session.Session().client(
            "s3",
            endpoint_url=server.endpoint,
            aws_access_key_id=server.reader_key,
            aws_secret_access_key=server.reader_secret,
            region_name=REGION,
        )
        listed = reader.list_objects_v2(Bucket="pulumi-state")["Contents"]
        assert [item["Key"] for item in listed] == [".pulumi/meta.yaml"]
        body = reader.get_object(Bucket="pulumi-state", Key=".pulumi/meta.yaml")["Body"].read()
        assert body == b"version: 1\n"
        with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
            reader.put_object(Bucket="pulumi-state", Key=".pulumi/locks/x.json", Body=b"{}")
        with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
            reader.delete_object(Bucket="pulumi-state", Key=".pulumi/meta.yaml")
        reader.close()
        assert server.keys("pulumi-state") == [".pulumi/meta.yaml"]

        # Every socket of the server (master, volume, filer, S3, their gRPC ports) is loopback.
        sockets = listeners(session_members(server.session))
        assert len(sockets) >= 4
        assert [str(s) for s in sockets if not s.loopback] == []
        session = server.session

    assert session_members(session) == []
    assert [str(path) for path in server.tmp_sockets() if path.exists()] == []
    # Nothing of the server logs its secret keys.
    assert server.secret_key not in server.log_text()
    assert server.reader_secret not in server.log_text()
