{{ config(tags=["foundation"]) }}
{#- The workforce at the start of simulation_year: the census in the first
    year, otherwise the active employees at the end of the previous year.
    The previous year is read with adapter.get_relation instead of ref() so
    the DAG stays acyclic (fct_workforce_snapshot is built from this model). -#}
{%- set year = var('simulation_year') | int -%}
{%- set start_year = var('start_year') | int -%}
{%- set previous = none -%}
{%- if execute and year > start_year -%}
    {%- set previous = adapter.get_relation(
            database=this.database, schema=this.schema, identifier='fct_workforce_snapshot') -%}
    {%- if previous is none -%}
        {{ exceptions.raise_compiler_error(
            "simulation_year " ~ year ~ " starts from year " ~ (year - 1)
            ~ " in fct_workforce_snapshot, which does not exist yet: simulate the years in order from start_year "
            ~ start_year) }}
    {%- endif -%}
    {%- set found = run_query("select count(*) from " ~ previous ~ " where simulation_year = " ~ (year - 1)) -%}
    {%- if found.columns[0].values()[0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "simulation_year " ~ year ~ " starts from year " ~ (year - 1)
            ~ ", which has no rows in fct_workforce_snapshot: simulate the years in order from start_year "
            ~ start_year) }}
    {%- endif -%}
{%- endif -%}

{%- if previous is not none %}
select
    employee_id, hire_date, birth_year, department, job_level, annual_salary,
    {{ year }} as simulation_year
from {{ previous }}
where simulation_year = {{ year - 1 }}
  and employment_status = 'active'
{%- else %}
select
    employee_id, hire_date, birth_year, department, job_level, annual_salary,
    {{ year }} as simulation_year
from {{ ref('stg_census') }}
{%- endif %}
