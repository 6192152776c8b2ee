{# A macro that branches on a var: a parse for another `scope` renders its callers again. #}
{% macro scope_label() %}{% if var("scope", "all") == "all" %}'all'{% else %}'some'{% endif %}{% endmacro %}
