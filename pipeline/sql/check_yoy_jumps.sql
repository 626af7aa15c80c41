-- check_yoy_jumps: a value that changes by more than jump_factor (pipeline/checks.yml) between
-- successive reports of one body: more often a change in what is counted (all schools one year,
-- one district the next) or a misread figure than a real change. A warning, not an error.
with

yoy_change as not materialized (select * from yoy_change),

indicators as not materialized (select * from indicators),

mention_quotes as not materialized (select * from mention_quotes),

check_settings as not materialized (select * from check_settings),

settings as (
    select max(value) filter (where name = 'jump_factor') as jump_factor
    from check_settings
),

jumps as (
    select
        yoy_change.*,
        yoy_change.value_to / yoy_change.value_from as ratio
    from yoy_change
    cross join settings
    where
        yoy_change.value_from > 0
        and yoy_change.value_to > 0
        and (
            yoy_change.value_to >= settings.jump_factor * yoy_change.value_from
            or yoy_change.value_to * settings.jump_factor <= yoy_change.value_from
        )
),

final as (
    select
        jumps.report_id_to as report_id,
        'yoy_jump' as check_id,
        'warning' as severity,
        format(
            '{} ({}) went from {} in {} (“{}”) to {} in {} (“{}”), {} in {} year{}: check that both '
            || 'figures count the same thing.',
            indicators.name_zh, indicators.name_en, fmt_num(jumps.value_from), jumps.year_from,
            quote_from.quote, fmt_num(jumps.value_to), jumps.year_to, quote_to.quote,
            case
                when jumps.ratio > 1 then fmt_num(round(jumps.ratio, 1)) || ' times as much'
                else 'down to 1/' || fmt_num(round(1 / jumps.ratio, 1))
            end,
            jumps.years_between,
            case when jumps.years_between = 1 then '' else 's' end
        ) as message,
        format(
            '{}从{}年的{}（“{}”）变为{}年的{}（“{}”），{}年间{}：请核实两处统计的是否为同一事物。',
            indicators.name_zh, jumps.year_from, fmt_num(jumps.value_from), quote_from.quote,
            jumps.year_to, fmt_num(jumps.value_to), quote_to.quote, jumps.years_between,
            case
                when jumps.ratio > 1 then '增至' || fmt_num(round(jumps.ratio, 1)) || '倍'
                else '降至' || fmt_num(round(1 / jumps.ratio, 1)) || '分之一'
            end
        ) as message_zh,
        format(
            '{} {} = {}; {} = {}', jumps.indicator_id, jumps.year_from, fmt_num(jumps.value_from),
            jumps.year_to, fmt_num(jumps.value_to)
        ) as figures,
        [jumps.mention_id_from, jumps.mention_id_to] as mention_ids
    from jumps
    inner join indicators using (indicator_id)
    left join mention_quotes as quote_from on quote_from.mention_id = jumps.mention_id_from
    left join mention_quotes as quote_to on quote_to.mention_id = jumps.mention_id_to
)

select * from final
