"""The standalone cluster: master (placement), worker (executor processes), web status page."""
