{#- The DAG depends on a var: a manifest parsed for source=a is wrong for source=b. -#}
{% if var('source') == 'a' %}
select * from {{ ref('a') }}
{% else %}
select * from {{ ref('b') }}
{% endif %}
