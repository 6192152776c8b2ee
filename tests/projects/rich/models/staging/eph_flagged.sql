{{ config(materialized='ephemeral') }}
{%- if execute and var('red', true) -%}
{{ exceptions.raise_compiler_error("eph_flagged is broken on purpose (red)") }}
{%- endif %}
select customer_id, segment = 'enterprise' as flagged from {{ ref('stg_customers') }}
