{% test year_is(model, column_name, expected) %}
select * from {{ model }} where {{ column_name }} != {{ expected }}
{% endtest %}
