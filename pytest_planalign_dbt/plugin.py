"""pytest hooks for dbt (filled in by the plugin work)."""
