-- mention_quotes: every mention with a short quote a person can find in the report: the clause
-- that holds the figure (at most 20 characters before it and 12 after, cut at punctuation), e.g.
-- 宁县现有各级各类学校359所 or 共聘请176名法治校委. Also the sentence up to the figure and the few
-- characters after it, which the checks read (其中 after a total, 其中 before a sub-count).
-- Everything is cut from the mention's own sentence (`context`), never from the whole report text,
-- so this stays cheap on long reports.
with

mentions as not materialized (select * from mentions),

located as (
    select
        *,
        -- substring counts characters from the start of the sentence (duckdb's are 1-based), so
        -- the sentence up to the figure is cut once and the rest is read from it
        substring(context, 1, char_start - sentence_start) as before_figure
    from mentions
),

around as (
    select
        * exclude (context, before_figure),
        -- the figure's text stands where the offsets say (a byte comparison)
        coalesce(starts_with(context, before_figure || raw_text), false) as in_context,
        case when in_context then before_figure end as sentence_before,
        case
            when in_context
                then substring(context, length(before_figure) + 1 + length(raw_text), 12)
        end as text_after,
        -- the clause before the figure: the trailing run of its sentence with no punctuation,
        -- at most 20 characters
        case
            when in_context
                then regexp_extract(before_figure, '[^，,；;。：:、！？!?\s]{0,20}$')
        end as clause_before
    from located
),

clauses as (
    select
        *,
        coalesce(regexp_extract(text_after, '^[^，,；;。：:、！？!?\s（(0-9０-９]*'), '')
            as clause_after
    from around
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
        || coalesce(clause_before, '')
        || raw_text
        || clause_after
        || case when length(clause_after) = 12 then '…' else '' end as quote,
        sentence_before,
        text_after
    from clauses
)

select * from final
