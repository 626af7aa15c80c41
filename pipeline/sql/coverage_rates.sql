-- coverage_rates: the ratios defined in pipeline/coverage_rates.yml (table rate_definitions), for
-- every body and report year whose panel has both the numerator and the denominator.
-- value = numerator / denominator * scale; a denominator of 0 gives NULL, not infinity.
with

indicator_panel as not materialized (select * from indicator_panel),

rate_definitions as not materialized (select * from rate_definitions),

panel as (
    select *
    from indicator_panel
    where body is not null and report_year is not null and value is not null
),

paired as (
    select
        rate_definitions.rate_id,
        numerators.body,
        numerators.report_year,
        rate_definitions.numerator_id,
        rate_definitions.denominator_id,
        numerators.value as numerator,
        denominators.value as denominator,
        rate_definitions.scale,
        rate_definitions.unit,
        rate_definitions.name_zh,
        rate_definitions.name_en,
        numerators.mention_id as numerator_mention_id,
        denominators.mention_id as denominator_mention_id,
        numerators.unit as numerator_unit,
        denominators.unit as denominator_unit,
        coalesce(numerators.approx, false) or coalesce(denominators.approx, false) as approx,
        -- more than one figure of the numerator in that report: the panel picked one (see panel_rule)
        numerators.n_observations as numerator_n_observations,
        numerators.report_id as numerator_report_id,
        denominators.report_id as denominator_report_id
    from rate_definitions
    inner join panel as numerators
        on numerators.indicator_id = rate_definitions.numerator_id
    inner join panel as denominators
        on
            denominators.indicator_id = rate_definitions.denominator_id
            and denominators.body = numerators.body
            and denominators.report_year = numerators.report_year
),

final as (
    select
        body,
        report_year,
        rate_id,
        numerator_id,
        denominator_id,
        numerator,
        denominator,
        case
            when denominator = 0 then null
            else round(numerator * scale / denominator, 4)
        end as value,
        unit,
        name_zh,
        name_en,
        numerator_mention_id,
        denominator_mention_id,
        numerator_unit,
        denominator_unit,
        approx,
        numerator_n_observations,
        numerator_report_id,
        denominator_report_id
    from paired
)

select * from final
order by body, report_year, rate_id
