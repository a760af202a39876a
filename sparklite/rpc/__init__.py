"""gRPC plumbing: the proto contract, auth, channels and thin servicers."""
