select h.id from {{ ref('int_hires') }} h join {{ ref('int_terminations') }} t using (id)
