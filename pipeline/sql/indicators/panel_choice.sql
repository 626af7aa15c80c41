-- panel_choice: every matched figure, with whether it supplies its panel cell and why (panel_rule);
-- pipeline/panel.py builds the tables observations and indicator_panel from it.
-- Reads _observation_candidates (a table made by pipeline/panel.py: one row per mention that names
-- an indicator, with its report's status, body, year and file; is_sub: a rate whose scope names a
-- part of the body; cell_id: the number of its cell, one (body, report_year, indicator_id)).
-- The rules, in order (the module docstring of panel.py says why):
-- 1. only reports whose status is 'ok' and whose body and report_year are known take part;
-- 2. of several reports of one body and year, the one with the most observations supplies the
--    cell (ties: file name);
-- 3. inside that report: a figure reviewed in corrections.csv wins; else a body-wide figure wins
--    over sub-scopes (rates only); else the first statement wins.
-- Every step groups or joins on the cell's number (or the report); whole observations are joined
-- only to the pick of each cell (`picks`) and in `final`: sorting them, or windows over them,
-- would spill to disk on a large corpus.
with

-- read twice (eligible, final): not copied, the table is read where it is used
ruled as not materialized (
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
    from _observation_candidates
),

eligible as (
    select
        cell_id, observation_id, report_id, source_file, body, report_year, value, scope,
        is_sub, reviewed, char_start
    from ruled
    where ineligible = ''
),

per_report as (
    select report_id, count(*) as n_report_obs
    from eligible
    group by report_id
),

-- the reports giving each cell
cell_reports as (
    select
        cell_id,
        report_id,
        any_value(source_file) as source_file,
        any_value(n_report_obs) as n_report_obs,
        count(*) as n_cell_obs
    from eligible
    inner join per_report using (report_id)
    group by cell_id, report_id
),

-- the fullest report supplies the cell
cells as (
    select
        cell_id,
        n_reports,
        n_observations,
        ranked[1].report_id as report_id,
        list_transform(ranked, lambda r: r.file) as files
    from (
        select
            cell_id,
            count(*) as n_reports,
            sum(n_cell_obs) as n_observations,
            -- fullest report first, then by file name (list_sort orders structs field by field)
            list_sort(list({'rank': -n_report_obs, 'file': source_file, 'report_id': report_id}))
                as ranked
        from cell_reports
        group by cell_id
    )
),

-- the chosen report's observations of each cell
used as (
    select eligible.cell_id, eligible.value, eligible.scope, eligible.is_sub, eligible.reviewed,
           eligible.char_start
    from eligible
    inner join cells using (cell_id, report_id)
),

-- A statement is named by its char_start: in the chosen report a cell has one observation per
-- mention, and a mention is its start. So the aggregates below carry integers, not whole rows,
-- and the pick's row is joined once at the end (`picks`).
cell_stats as (
    select
        cell_id,
        count(*) as n_used,
        count(*) filter (where not is_sub) as n_wide,
        -- the first body-wide statement, else the first statement; the same among the reviewed
        coalesce(
            min(char_start) filter (where not is_sub), min(char_start)
        ) as first_used_start,
        coalesce(
            min(char_start) filter (where reviewed and not is_sub),
            min(char_start) filter (where reviewed)
        ) as first_reviewed_start,
        list({'start': char_start, 'text': scope || ' ' || printf('%g', value)})
            filter (where is_sub) as sub_scopes
    from used
    group by cell_id
),

-- the different values of a cell, and the order they are first stated in, for the rule to list
cell_values as (
    select
        cell_id,
        count(*) as n_values,
        array_to_string(
            list_transform(
                list_sort(list({'start': first_start, 'value': value})),
                lambda v: printf('%g', v.value)
            ),
            ', '
        ) as values_listed
    from (
        select cell_id, value, min(char_start) as first_start
        from used
        group by cell_id, value
    )
    group by cell_id
),

choice as (
    select
        cell_stats.*,
        cell_values.n_values,
        cell_values.values_listed,
        cells.report_id,
        cells.n_reports,
        cells.n_observations,
        cells.files,
        -- the reviewed statement wins over the first one unless the first is reviewed too (then
        -- the first reviewed one is the first one)
        coalesce(first_reviewed_start != first_used_start, false) as by_review
    from cell_stats
    inner join cells using (cell_id)
    inner join cell_values using (cell_id)
),

picks as (
    select
        choice.cell_id,
        choice.n_observations,
        choice.by_review,
        choice.files[1] as source_file,
        {
            'observation_id': pick.observation_id, 'report_id': pick.report_id,
            'value': pick.value, 'scope': pick.scope, 'is_sub': pick.is_sub
        } as pick,
        case
            when by_review
                then 'reviewed in corrections.csv; preferred over the matcher''s first choice'
            when n_used = 1 then 'the only statement in the report'
            when n_values = 1
                then format('stated {} times with the same value; the first statement', n_used)
            -- (not by review: the pick is the first used statement)
            when n_wide > 0 and n_wide < n_used
                then format(
                    'body-wide scope ({}) preferred over sub-scope ({})',
                    coalesce(nullif(pick.scope, ''), 'unqualified'),
                    array_to_string(list_transform(list_sort(sub_scopes), lambda s: s.text), ', ')
                )
            else format(
                'first of {} different values in the report ({})', n_values, values_listed
            )
        end
        || case
            when n_reports > 1 then format(
                '; {} reports give {} {}: used {} (most figures), not {}',
                n_reports, pick.body, pick.report_year, files[1],
                array_to_string(files[2:], ', ')
            )
            else ''
        end as rule
    from choice
    inner join eligible as pick
        on
            pick.cell_id = choice.cell_id
            and pick.report_id = choice.report_id
            and pick.char_start
            = case when by_review then first_reviewed_start else first_used_start end
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
        coalesce(picks.pick.observation_id = ruled.observation_id, false) as in_panel,
        case
            when ruled.ineligible != '' then ruled.ineligible
            when picks.pick.observation_id = ruled.observation_id then picks.rule
            when ruled.report_id != picks.pick.report_id then format(
                'not in panel: another report ({}) supplies {} {}',
                picks.source_file, ruled.body, ruled.report_year
            )
            when ruled.value = picks.pick.value then 'not in panel: restates the panel figure'
            when picks.by_review then format(
                'not in panel: the panel uses the figure reviewed in corrections.csv ({})',
                printf('%g', picks.pick.value)
            )
            when ruled.is_sub and not picks.pick.is_sub then format(
                'not in panel: sub-scope ({}); the panel uses {}',
                ruled.scope, coalesce(nullif(picks.pick.scope, ''), 'the body-wide figure')
            )
            else format(
                'not in panel: a later statement; the panel uses the first ({})',
                printf('%g', picks.pick.value)
            )
        end as panel_rule,
        ruled.reviewed,
        ruled.cue,
        ruled.char_start,
        -- of the panel cell: the statements of every report taking part
        case when picks.pick.observation_id = ruled.observation_id then picks.n_observations end
            as n_observations
    from ruled
    left join picks on ruled.ineligible = '' and picks.cell_id = ruled.cell_id
)

select * from final
