{% test at_least(model, column_name, floor) %}
select * from {{ model }} where {{ column_name }} < {{ floor }}
{% endtest %}
