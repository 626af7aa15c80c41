-- panel_choice: every matched figure, with whether it supplies its panel cell and why (panel_rule);
-- pipeline/panel.py builds the tables observations and indicator_panel from it.
-- Reads _observation_candidates (a view made by pipeline/panel.py: one row per mention that names
-- an indicator, with its report's status, body, year and file, and is_sub: a rate whose scope
-- names a part of the body). The rules, in order (the module docstring of panel.py says why):
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

-- a cell is one (body, report_year, indicator_id); numbered once, so that the windows and joins
-- below work on one integer instead of three columns
-- (windows get only the columns they need: DuckDB sorts everything a window carries)
cell_keys as (
    select
        observation_id,
        dense_rank() over (order by body, report_year, indicator_id) as cell_id
    from ruled
    where ineligible = ''
),

eligible as (
    select ruled.*, cell_keys.cell_id
    from ruled
    inner join cell_keys using (observation_id)
),

per_report as (
    select report_id, count(*) as n_report_obs
    from eligible
    group by report_id
),

-- the reports giving each cell, fullest first
cell_reports as (
    select
        cell_id,
        report_id,
        any_value(source_file) as source_file,
        count(*) as n_cell_obs,
        row_number() over (
            partition by cell_id
            order by any_value(n_report_obs) desc, any_value(source_file), report_id
        ) as report_rank
    from eligible
    inner join per_report using (report_id)
    group by cell_id, report_id
),

cells as (
    select
        cell_id,
        count(*) as n_reports,
        sum(n_cell_obs) as n_observations,
        max(report_id) filter (where report_rank = 1) as report_id,
        max(source_file) filter (where report_rank = 1) as source_file,
        string_agg(source_file, ', ' order by report_rank) filter (where report_rank > 1)
            as other_files
    from cell_reports
    group by cell_id
),

-- the chosen report's observations of each cell, in reading order
positions as (
    select
        eligible.observation_id,
        row_number() over (partition by eligible.cell_id order by eligible.char_start) as pos
    from eligible
    inner join cells using (cell_id, report_id)
),

used as (
    select eligible.*, positions.pos
    from eligible
    inner join positions using (observation_id)
),

cell_stats as (
    select
        cell_id,
        count(*) as n_used,
        count(*) filter (where not is_sub) as n_wide,
        -- the first body-wide statement, else the first statement
        coalesce(min(pos) filter (where not is_sub), 1) as first_pos,
        coalesce(
            min(pos) filter (where reviewed and not is_sub), min(pos) filter (where reviewed)
        ) as reviewed_pos,
        count(distinct value) as n_values
    from used
    group by cell_id
),

-- the values and sub-scopes a rule lists, only for the cells stated with different values
listed as (
    select
        cell_id,
        string_agg(printf('%g', value), ', ' order by pos) filter (where first_of_value)
            as values_listed,
        string_agg(scope || ' ' || printf('%g', value), ', ' order by pos) filter (where is_sub)
            as narrow_listed
    from (
        select
            used.cell_id,
            used.value,
            used.pos,
            used.is_sub,
            used.scope,
            row_number() over (partition by used.cell_id, used.value order by used.pos) = 1
                as first_of_value
        from used
        inner join cell_stats using (cell_id)
        where cell_stats.n_values > 1
    )
    group by cell_id
),

choice as (
    select
        cell_stats.*,
        listed.values_listed,
        listed.narrow_listed,
        cells.n_reports,
        cells.n_observations,
        cells.source_file as chosen_file,
        cells.other_files,
        -- the reviewed statement wins over the first one unless the first is reviewed too
        case
            when cell_stats.reviewed_pos is not null and not first_used.reviewed
                then cell_stats.reviewed_pos
            else cell_stats.first_pos
        end as pick_pos,
        cell_stats.reviewed_pos is not null and not first_used.reviewed as by_review,
        first_used.scope as first_scope
    from cell_stats
    inner join cells using (cell_id)
    left join listed using (cell_id)
    inner join used as first_used
        on first_used.cell_id = cell_stats.cell_id and first_used.pos = cell_stats.first_pos
),

picks as (
    select
        used.*,
        choice.n_observations,
        case
            when choice.by_review
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
    inner join used on used.cell_id = choice.cell_id and used.pos = choice.pick_pos
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
    left join eligible using (observation_id)
    left join picks on picks.cell_id = eligible.cell_id
)

select * from final
