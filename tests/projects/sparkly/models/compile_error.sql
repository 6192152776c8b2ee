{#- Compiles only at run time (execute), so the project still parses. -#}
{% if execute %}
    {{ exceptions.raise_compiler_error("compile_error is broken on purpose") }}
{% endif %}
select 1 as id
