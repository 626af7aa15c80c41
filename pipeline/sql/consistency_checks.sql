-- consistency_checks: one row per finding of every check_* model, with the report's body and year.
-- `message` is a sentence naming the figures; `mention_ids` are the evidence spans (mentions).
with

check_parts_vs_total as not materialized (select * from check_parts_vs_total),

check_coverage_claims as not materialized (select * from check_coverage_claims),

check_rate_range as not materialized (select * from check_rate_range),

check_restated_figures as not materialized (select * from check_restated_figures),

check_yoy_jumps as not materialized (select * from check_yoy_jumps),

reports as not materialized (select * from reports),

findings as (
    select * from check_parts_vs_total
    union all by name
    select * from check_coverage_claims
    union all by name
    select * from check_rate_range
    union all by name
    select * from check_restated_figures
    union all by name
    select * from check_yoy_jumps
),

final as (
    select
        findings.check_id || ':' || array_to_string(findings.mention_ids, '+') as finding_id,
        findings.report_id,
        reports.body,
        reports.report_year,
        findings.check_id,
        findings.severity,
        findings.message,
        findings.message_zh,
        findings.figures,
        findings.mention_ids,
        reports.source_file
    from findings
    inner join reports using (report_id)
)

-- no order by: sorting every finding's long messages costs memory on a large corpus; readers sort
-- what they show (checks.py, chartdata.py, review_data.py)
select * from final
