select * from {{ ref('eph_flagged') }} where flagged
