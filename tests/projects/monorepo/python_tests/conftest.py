import elementary_integration_helpers  # noqa: F401  (not installed: collecting this is a bug)
