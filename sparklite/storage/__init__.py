"""Storage: cached blocks on executors (Arrow), their locations on the driver, driver blobs."""
