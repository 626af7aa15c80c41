-- mention_quotes: every mention with a short quote a person can find in the report: the clause
-- that holds the figure (at most 20 characters before it and 12 after, cut at punctuation), e.g.
-- 宁县现有各级各类学校359所 or 共聘请176名法治校委.
with

mentions as (select * from mentions),

report_texts as (select * from report_texts),

windows as (
    select
        mentions.*,
        greatest(coalesce(mentions.sentence_start, 0), mentions.char_start - 20) as window_start,
        report_texts.text
    from mentions
    inner join report_texts using (report_id)
),

before_figure as (
    select
        *,
        -- duckdb substring is 1-based; offsets are 0-based code points like Python's
        substring(text, window_start + 1, char_start - window_start) as text_before,
        substring(text, char_end + 1, 12) as text_after
    from windows
),

clauses as (
    select
        *,
        regexp_extract(text_before, '[^，,；;。：:、！？!?\s]*$') as clause_before,
        regexp_extract(text_after, '^[^，,；;。：:、！？!?\s（(0-9０-９]*') as clause_after
    from before_figure
),

final as (
    select
        mention_id,
        report_id,
        value,
        unit,
        approx,
        raw_text,
        char_start,
        char_end,
        sentence_start,
        -- … marks a clause cut by the window
        case when length(clause_before) = 20 then '…' else '' end
        || clause_before
        || raw_text
        || clause_after
        || case when length(clause_after) = 12 then '…' else '' end as quote
    from clauses
)

select * from final
