-- check_rate_range: a stated rate (an indicator of kind 'rate', in %) outside 0-100%. Every rate
-- in the catalog is a share (持证率, 败诉率, 满意率, 覆盖率 ...), which cannot pass 100% or go below 0.
with

observations as not materialized (select * from observations),

indicators as not materialized (select * from indicators),

mention_quotes as not materialized (select * from mention_quotes),

rates as (
    select
        observations.report_id,
        observations.mention_id,
        observations.indicator_id,
        observations.value,
        indicators.name_zh,
        indicators.name_en,
        mention_quotes.quote
    from observations
    inner join indicators using (indicator_id)
    inner join mention_quotes using (mention_id)
    where indicators.kind = 'rate' and observations.unit = '%'
),

final as (
    select
        report_id,
        'rate_out_of_range' as check_id,
        'error' as severity,
        format(
            '“{}” gives {} ({}) as {}%, {}: a share cannot be {}.',
            quote, name_zh, name_en, fmt_num(value),
            case when value > 100 then 'above 100%' else 'below 0%' end,
            case when value > 100 then 'more than the whole' else 'negative' end
        ) as message,
        format(
            '“{}”中{}为{}%，{}：比率不可能{}。',
            quote, name_zh, fmt_num(value),
            case when value > 100 then '超过100%' else '低于0%' end,
            case when value > 100 then '大于全部' else '为负' end
        ) as message_zh,
        format('{} = {}%', indicator_id, fmt_num(value)) as figures,
        [mention_id] as mention_ids
    from rates
    where value > 100 or value < 0
)

select * from final
