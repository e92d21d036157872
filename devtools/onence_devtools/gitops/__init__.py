"""The GitOps pipeline on shared S3 state: the world, its runners and its SeaweedFS server."""
