-- panel_choice: every matched figure, with whether it supplies its panel cell and why (panel_rule);
-- pipeline/panel.py builds the tables observations and indicator_panel from it.
-- Reads _observation_candidates (built by pipeline/panel.py: one row per mention that names an
-- indicator, with its report's status, body, year and file, and is_sub: a rate whose scope names a
-- part of the body). The rules, in order (the module docstring of panel.py says why):
-- 1. only reports whose status is 'ok' and whose body and report_year are known take part;
-- 2. of several reports of one body and year, the one with the most observations supplies the
--    cell (ties: file name);
-- 3. inside that report: a figure reviewed in corrections.csv wins; else a body-wide figure wins
--    over sub-scopes (rates only); else the first statement wins.
with

candidates as (select * from _observation_candidates),

ruled as (
    select
        *,
        case
            when status != 'ok' then 'not in panel: report status is ' || status
            when coalesce(body, '') = ''
                then 'not in panel: the report''s body is unknown (add it in sources.csv)'
            when report_year is null
                then 'not in panel: the report''s year is unknown (add it in sources.csv)'
            else ''
        end as ineligible
    from candidates
),

eligible as (select * from ruled where ineligible = ''),

per_report as (
    select report_id, count(*) as n_report_obs
    from eligible
    group by report_id
),

-- the reports giving each cell, fullest first
cell_reports as (
    select
        body,
        report_year,
        indicator_id,
        report_id,
        any_value(source_file) as source_file,
        any_value(n_report_obs) as n_report_obs,
        count(*) as n_cell_obs,
        row_number() over (
            partition by body, report_year, indicator_id
            order by any_value(n_report_obs) desc, any_value(source_file), report_id
        ) as report_rank
    from eligible
    inner join per_report using (report_id)
    group by body, report_year, indicator_id, report_id
),

cells as (
    select
        body,
        report_year,
        indicator_id,
        count(*) as n_reports,
        sum(n_cell_obs) as n_observations,
        max(report_id) filter (where report_rank = 1) as report_id,
        max(source_file) filter (where report_rank = 1) as source_file,
        string_agg(source_file, ', ' order by report_rank) filter (where report_rank > 1)
            as other_files
    from cell_reports
    group by body, report_year, indicator_id
),

-- the chosen report's observations of each cell, in reading order
used as (
    select
        eligible.*,
        row_number() over w as pos,
        row_number() over (
            partition by eligible.body, eligible.report_year, eligible.indicator_id, eligible.value
            order by eligible.char_start
        ) = 1 as first_of_value
    from eligible
    inner join cells using (body, report_year, indicator_id, report_id)
    window w as (
        partition by eligible.body, eligible.report_year, eligible.indicator_id
        order by eligible.char_start
    )
),

cell_stats as (
    select
        body,
        report_year,
        indicator_id,
        count(*) as n_used,
        count(*) filter (where not is_sub) as n_wide,
        -- the first body-wide statement, else the first statement
        coalesce(min(pos) filter (where not is_sub), 1) as first_pos,
        coalesce(
            min(pos) filter (where reviewed and not is_sub), min(pos) filter (where reviewed)
        ) as reviewed_pos,
        count(distinct value) as n_values,
        string_agg(printf('%g', value), ', ' order by pos) filter (where first_of_value)
            as values_listed,
        string_agg(scope || ' ' || printf('%g', value), ', ' order by pos) filter (where is_sub)
            as narrow_listed
    from used
    group by body, report_year, indicator_id
),

choice as (
    select
        cell_stats.*,
        cells.n_reports,
        cells.n_observations,
        cells.source_file as chosen_file,
        cells.other_files,
        first_used.reviewed as first_reviewed,
        first_used.scope as first_scope
    from cell_stats
    inner join cells using (body, report_year, indicator_id)
    inner join used as first_used
        on
            first_used.body = cell_stats.body
            and first_used.report_year = cell_stats.report_year
            and first_used.indicator_id = cell_stats.indicator_id
            and first_used.pos = cell_stats.first_pos
),

picks as (
    select
        used.*,
        choice.n_observations,
        case
            when choice.reviewed_pos is not null and not choice.first_reviewed
                then 'reviewed in corrections.csv; preferred over the matcher''s first choice'
            when choice.n_used = 1 then 'the only statement in the report'
            when choice.n_values = 1
                then format('stated {} times with the same value; the first statement', choice.n_used)
            when choice.n_wide > 0 and choice.n_wide < choice.n_used
                then format(
                    'body-wide scope ({}) preferred over sub-scope ({})',
                    coalesce(nullif(choice.first_scope, ''), 'unqualified'), choice.narrow_listed
                )
            else format(
                'first of {} different values in the report ({})',
                choice.n_values, choice.values_listed
            )
        end
        || case
            when choice.n_reports > 1 then format(
                '; {} reports give {} {}: used {} (most figures), not {}',
                choice.n_reports, used.body, used.report_year, choice.chosen_file,
                choice.other_files
            )
            else ''
        end as rule
    from choice
    inner join used
        on
            used.body = choice.body
            and used.report_year = choice.report_year
            and used.indicator_id = choice.indicator_id
            and used.pos = case
                when choice.reviewed_pos is not null and not choice.first_reviewed
                    then choice.reviewed_pos
                else choice.first_pos
            end
),

final as (
    select
        ruled.observation_id,
        ruled.report_id,
        ruled.indicator_id,
        ruled.value,
        ruled.unit,
        ruled.approx,
        ruled.mention_id,
        ruled.body,
        ruled.report_year,
        ruled.scope,
        coalesce(picks.observation_id = ruled.observation_id, false) as in_panel,
        case
            when ruled.ineligible != '' then ruled.ineligible
            when picks.observation_id = ruled.observation_id then picks.rule
            when ruled.report_id != picks.report_id then format(
                'not in panel: another report ({}) supplies {} {}',
                picks.source_file, picks.body, picks.report_year
            )
            when ruled.value = picks.value then 'not in panel: restates the panel figure'
            when ruled.is_sub and not picks.is_sub then format(
                'not in panel: sub-scope ({}); the panel uses {}',
                ruled.scope, coalesce(nullif(picks.scope, ''), 'the body-wide figure')
            )
            else format(
                'not in panel: a later statement; the panel uses the first ({})',
                printf('%g', picks.value)
            )
        end as panel_rule,
        ruled.reviewed,
        ruled.cue,
        ruled.char_start,
        -- of the panel cell: the statements of every report taking part
        case when picks.observation_id = ruled.observation_id then picks.n_observations end
            as n_observations
    from ruled
    left join picks
        on
            ruled.ineligible = ''
            and picks.body = ruled.body
            and picks.report_year = ruled.report_year
            and picks.indicator_id = ruled.indicator_id
)

select * from final
order by report_id, char_start, indicator_id
