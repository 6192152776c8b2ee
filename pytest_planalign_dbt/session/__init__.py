"""The session's one dbt build, pytest-free: nodes and outcomes (build.py), the xdist
hand-off (share.py), and the guard of dbt's threads against pytest's env churn
(envguard.py). The plugin drives it; nothing here imports pytest."""
