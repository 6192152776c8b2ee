{#- A deterministic draw in [0, 1) per (row, simulation year, purpose).
    Plain integer arithmetic so the same SQL runs on DuckDB and PostgreSQL,
    and the same seed always gives the same simulated events. -#}
{% macro pseudo_random(id_expr, purpose) -%}
    (cast(((cast({{ id_expr }} as bigint)) * 7919 + {{ var('simulation_year') }} * 104729
           + {{ var('random_seed') }} * 15485863 + {{ purpose }} * 1299709) % 1000 as numeric) / 1000.0)
{%- endmacro %}
