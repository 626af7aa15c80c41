-- yoy_change: for each body and indicator, each pair of successive report years available in
-- indicator_panel. Only like is compared with like: values are paired within one unit family
-- (人/名 are both people; 人次 is not), so a year written in another unit is skipped, not mixed in.
-- A gap (2021 -> 2023) is one row with years_between = 2, never passed off as one year.
with

indicator_panel as not materialized (select * from indicator_panel),

indicators as not materialized (select * from indicators),

unit_families as not materialized (select * from unit_families),

panel_values as (
    select
        indicator_panel.body,
        indicator_panel.report_year,
        indicator_panel.indicator_id,
        indicator_panel.value,
        indicator_panel.unit,
        indicator_panel.approx,
        indicator_panel.mention_id,
        indicator_panel.report_id,
        -- a figure written without a unit (幼儿园57) counts in its indicator's catalog unit
        coalesce(indicator_panel.unit, indicators.unit) as effective_unit
    from indicator_panel
    left join indicators using (indicator_id)
    where
        indicator_panel.body is not null
        and indicator_panel.report_year is not null
        and indicator_panel.value is not null
),

with_family as (
    select
        panel_values.*,
        coalesce(unit_families.family, panel_values.effective_unit, 'none') as unit_family
    from panel_values
    left join unit_families on unit_families.unit = panel_values.effective_unit
),

successive as (
    select
        body,
        indicator_id,
        unit_family,
        lag(report_year) over w as year_from,
        report_year as year_to,
        lag(value) over w as value_from,
        value as value_to,
        lag(unit) over w as unit_from,
        unit as unit_to,
        lag(approx) over w as approx_from,
        approx as approx_to,
        lag(mention_id) over w as mention_id_from,
        mention_id as mention_id_to,
        lag(report_id) over w as report_id_from,
        report_id as report_id_to
    from with_family
    window w as (partition by body, indicator_id, unit_family order by report_year)
),

final as (
    select
        body,
        indicator_id,
        year_from,
        year_to,
        value_from,
        value_to,
        value_to - value_from as abs_change,
        case
            when value_from = 0 then null
            else round(100 * (value_to - value_from) / value_from, 2)
        end as pct_change,
        year_to - year_from as years_between,
        mention_id_from,
        mention_id_to,
        unit_family,
        unit_from,
        unit_to,
        coalesce(approx_from, false) or coalesce(approx_to, false) as approx,
        report_id_from,
        report_id_to
    from successive
    where year_from is not null
)

select * from final
order by body, indicator_id, unit_family, year_from
