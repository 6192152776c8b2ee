"""Failure: its kind (kinds.py), which kind a dbt result is (classify.py), the DbtError tree
(errors.py), the fix to suggest (fixes.py), dbt's message made readable (messages.py) and the
verdict on one invocation (verdict.py)."""
