{#- Attaches a second DuckDB file: while another process holds that file,
    this node fails with a real lock conflict (a node-level transient error). -#}
{{ config(
    pre_hook="attach '" ~ env_var('LOCKABLE_OTHER_DB', 'other.duckdb') ~ "' as other_db",
    post_hook="detach other_db",
) }}
select 2 as id
