-- mention_quotes: every mention with a short quote a person can find in the report: the clause
-- that holds the figure (at most 20 characters before it and 12 after, cut at punctuation), e.g.
-- 宁县现有各级各类学校359所 or 共聘请176名法治校委. Also the sentence up to the figure and the few
-- characters after it, which the checks read (其中 after a total, 其中 before a sub-count).
-- Everything is cut from the mention's own sentence (`context`), never from the whole report text,
-- so this stays cheap on long reports.
with

mentions as (select * from mentions),

located as (
    select
        *,
        -- offset of the figure in its sentence; duckdb substring is 1-based
        char_start - sentence_start as offset_in_sentence,
        coalesce(
            substring(context, char_start - sentence_start + 1, char_end - char_start) = raw_text,
            false
        ) as in_context
    from mentions
),

around as (
    select
        * exclude (context),
        case when in_context then substring(context, 1, offset_in_sentence) end as sentence_before,
        -- only the few characters each part needs: substring counts characters from the start
        -- of the sentence, so a short window is cheaper than the rest of a long sentence
        case
            when in_context
                then substring(context, offset_in_sentence + 1 + length(raw_text), 12)
        end as text_after,
        case
            when in_context
                then substring(
                    context, greatest(offset_in_sentence - 19, 1), least(offset_in_sentence, 20)
                )
        end as last_20_before
    from located
),

clauses as (
    select
        *,
        coalesce(regexp_extract(last_20_before, '[^，,；;。：:、！？!?\s]*$'), '') as clause_before,
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
        || clause_before
        || raw_text
        || clause_after
        || case when length(clause_after) = 12 then '…' else '' end as quote,
        sentence_before,
        text_after
    from clauses
)

select * from final
