{% macro count_rows(relation) %}
  {%- if execute -%}
    {%- set result = run_query('select count(*) from ' ~ relation) -%}
    {{ result.columns[0].values()[0] }}
  {%- else -%}
    0
  {%- endif -%}
{% endmacro %}
