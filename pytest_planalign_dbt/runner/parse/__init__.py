"""Parse reuse: the manifest for a call with as little parsing as dbt allows (reuse.py), from
manifests kept in memory (memory.py), partial-parse files kept per vars set (cache.py), and
parses derived for vars not seen yet (unseen_vars.py, yaml_vars.py); heap.py keeps the kept
manifests out of the garbage collector's way."""
