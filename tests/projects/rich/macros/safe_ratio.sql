{#- A ratio that refuses a literal zero denominator when it renders. -#}
{% macro safe_ratio(numerator, denominator) -%}
  {%- if denominator == 0 -%}
    {{ exceptions.raise_compiler_error("safe_ratio: the denominator is 0") }}
  {%- endif -%}
  ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- An operation: logs the ratio it is given (dbt run-operation log_ratio --args ...). -#}
{% macro log_ratio(numerator, denominator) -%}
  {% do log("ratio: " ~ (numerator / denominator), info=True) %}
{%- endmacro %}
