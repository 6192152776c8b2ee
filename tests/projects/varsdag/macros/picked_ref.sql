{#- A var read two macros away from the model: a model that calls picked_ref depends on it. -#}
{% macro picked_ref() %}{{ return(source_ref()) }}{% endmacro %}

{% macro source_ref() %}{{ return(ref(var('source'))) }}{% endmacro %}
