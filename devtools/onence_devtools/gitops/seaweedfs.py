"""A SeaweedFS server on loopback: the S3 bucket that holds Pulumi state, as in a real pipeline.

GitOps runners are ephemeral, so real teams keep state in object storage. SeaweedFS
(Apache-2.0) is an S3-compatible server built once from its Go module by
``scripts/provide-seaweedfs.sh``; this module starts it on free 127.0.0.1 ports with its own
credentials, waits (bounded) until S3 answers, creates buckets with SigV4-signed requests
(boto3), and stops it and everything it started.

Example::

    with SeaweedFS(weed_binary(), tmp_path / "s3") as s3:
        s3.create_bucket("state")
        os.environ["PULUMI_BACKEND_URL"] = s3.backend_url("state")
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from onence_emulator.harness import wait_until

from onence_devtools.gitops.processes import kill_session, wait_session_empty
from onence_devtools.stack import REPO_ROOT

PROVIDE = REPO_ROOT / "scripts" / "provide-seaweedfs.sh"
REGION = "us-east-1"
STARTUP_TIMEOUT_S = 120.0
BUILD_TIMEOUT_S = 1800.0


class SeaweedError(RuntimeError):
    """SeaweedFS could not be provided or started."""


def weed_binary() -> str:
    """The ``weed`` binary: built once into the cache by scripts/provide-seaweedfs.sh."""
    proc = subprocess.run(
        ["bash", str(PROVIDE)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    path = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or not os.access(path, os.X_OK):
        raise SeaweedError(f"scripts/provide-seaweedfs.sh failed:\n{proc.stderr[-3000:]}")
    return path


def free_ports(count: int) -> list[int]:
    """Distinct ports free on 127.0.0.1 right now (held together while picking)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedFS:
    """``weed server`` with master, volume, filer and S3 gateway, every port on 127.0.0.1."""

    def __init__(self, weed: str, root: Path, *, startup_timeout: float = STARTUP_TIMEOUT_S):
        self.weed = weed
        self.root = root
        self.startup_timeout = startup_timeout
        self.access_key = "gitops-" + secrets.token_hex(6)
        self.secret_key = secrets.token_urlsafe(30)
        # A second identity that may only read and list: what a PR's preview job gets.
        self.reader_key = "gitops-reader-" + secrets.token_hex(6)
        self.reader_secret = secrets.token_urlsafe(30)
        self.data_dir = root / "data"
        self.log_dir = root / "logs"
        self.ports: dict[str, int] = {}
        self.process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._client: Any = None

    # --- addresses -------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def backend_url(self, bucket: str) -> str:
        """The ``PULUMI_BACKEND_URL`` of a bucket (credentials go in ``AWS_*``, not here)."""
        return f"s3://{bucket}?endpoint={self.endpoint}&use_path_style=true&region={REGION}"

    def credentials_env(self, *, read_only: bool = False) -> dict[str, str]:
        """What a runner needs in its environment to use the bucket (read and write, or only
        read and list)."""
        return {
            "AWS_ACCESS_KEY_ID": self.reader_key if read_only else self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.reader_secret if read_only else self.secret_key,
            "AWS_REGION": REGION,
        }

    @property
    def session(self) -> int:
        assert self.process is not None
        return self.process.pid

    # --- lifecycle -------------------------------------------------------------------------
    def _command(self, config: Path) -> list[str]:
        p = self.ports
        return [
            self.weed,
            f"-logdir={self.log_dir}",
            "server",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            f"-s3.config={config}",
            "-s3.iam=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
            "-master.telemetry=false",  # offline, and nothing of the test leaves the machine
            "-master.volumeSizeLimitMB=64",
            "-volume.preStopSeconds=0",  # no grace period for other servers on stop
        ]

    def tmp_sockets(self) -> list[Path]:
        """The gRPC unix sockets `weed server` makes at fixed /tmp paths named by port (it does
        not always remove them on exit, so `stop` does)."""
        return [
            # SeaweedFS's own fixed socket path, not one this module picks.
            Path(f"/tmp/seaweedfs-{name.removesuffix('_grpc')}-grpc-{port}.sock")  # noqa: S108
            for name, port in self.ports.items()
            if name.endswith("_grpc")
        ]

    def start(self) -> SeaweedFS:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        names = ["master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc"]
        names += ["s3", "s3_grpc"]
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))
        config = self.root / "s3.json"
        identities = [
            {
                "name": "gitops",
                "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {
                "name": "gitops-reader",
                "credentials": [{"accessKey": self.reader_key, "secretKey": self.reader_secret}],
                "actions": ["Read", "List"],
            },
        ]
        config.touch(mode=0o600)
        config.write_text(json.dumps({"identities": identities}))
        self._output = (self.log_dir / "weed.out").open("wb")
        (self.root / "tmp").mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["TMPDIR"] = str(self.root / "tmp")
        self.process = subprocess.Popen(
            self._command(config),
            env=env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        """Poll (bounded) until S3 answers an authenticated request."""
        last = ""

        def answers() -> bool:
            nonlocal last
            assert self.process is not None
            if self.process.poll() is not None:
                raise SeaweedError(
                    f"weed exited with {self.process.returncode}:\n{self.log_text()[-3000:]}"
                )
            try:
                self.s3.list_buckets()
            except Exception as exc:  # connection refused, 503 while the filer starts, ...
                last = f"{type(exc).__name__}: {exc}"
                return False
            return True

        if wait_until(answers, self.startup_timeout, 0.5):
            return
        raise SeaweedError(
            f"S3 did not answer within {self.startup_timeout:.0f} s ({last}):\n"
            f"{self.log_text()[-3000:]}"
        )

    def stop(self, grace: float = 5.0) -> None:
        """Stop the server and wait (bounded) until nothing of it is left.

        SIGTERM first; its data is thrown away with the test, so after ``grace`` seconds the
        rest of a slow shutdown (the master keeps retrying volume growth) is cut with SIGKILL.
        """
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(grace)
                except subprocess.TimeoutExpired:
                    kill_session(process.pid)
                    process.wait(30)
            if wait_session_empty(process.pid, timeout=30):
                kill_session(process.pid)
            for path in self.tmp_sockets():
                path.unlink(missing_ok=True)
        if self._output is not None:
            self._output.close()
            self._output = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> SeaweedFS:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- S3 ----------------------------------------------------------------------------------
    @property
    def s3(self) -> Any:
        """A boto3 S3 client for the server (SigV4, path-style, bounded retries and timeouts)."""
        if self._client is None:
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                region_name=REGION,
                config=Config(
                    s3={"addressing_style": "path"},
                    signature_version="s3v4",
                    retries={"max_attempts": 2, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        return self._client

    def create_bucket(self, bucket: str) -> None:
        self.s3.create_bucket(Bucket=bucket)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key under ``prefix`` (all pages, bounded)."""
        keys: list[str] = []
        token: str | None = None
        for _ in range(1000):
            kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = self.s3.list_objects_v2(**kwargs)
            keys += [item["Key"] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return keys
            token = page["NextContinuationToken"]
        raise SeaweedError("more than 1000 pages of objects")

    def read(self, bucket: str, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object of the bucket with its content."""
        return {key: self.read(bucket, key) for key in self.keys(bucket)}

    # --- logs ---------------------------------------------------------------------------------
    def log_text(self) -> str:
        """Everything SeaweedFS logged: its output and the log files it wrote."""
        parts = []
        for path in sorted(self.log_dir.rglob("*")) if self.log_dir.exists() else []:
            if path.is_file():
                parts.append(path.read_bytes().decode(errors="replace"))
        return "\n".join(parts)
