{#- Enabled by a var: the set of nodes depends on it. -#}
{{ config(enabled=var('source') == 'b') }}
select 1 as n
