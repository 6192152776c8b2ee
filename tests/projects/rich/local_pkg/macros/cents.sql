{% macro cents(expr) %}cast(round({{ expr }} * 100) as bigint){% endmacro %}
