-- check_restated_figures: one report giving the same indicator twice, in different sentences, with
-- different values, where the indicator is a stock stated once (its schools, students, staff,
-- appointees: single_valued_indicators in pipeline/checks.yml). Activity counts (events, cases,
-- exams) are left out, since a report lists several of them. Figures inside a breakdown (after
-- 其中/包括/含 in their sentence: a sub-count such as 其中新聘20名), figures whose clause names a
-- subgroup or period (restated_skip_words: 新聘, 累计, 今年 ...) and approximate figures are not
-- compared. `scope` is not used: for a count it is the phrase before
-- the cue, which differs between a figure and its own restatement.
with

observations as not materialized (select * from observations),

indicators as not materialized (select * from indicators),

single_valued_indicators as not materialized (select * from single_valued_indicators),

mention_quotes as not materialized (select * from mention_quotes),

part_list_markers as not materialized (select * from part_list_markers),

restated_skip_words as not materialized (select * from restated_skip_words),

-- word lists, tested with contains(): a regex built from a table would be compiled for every row
marker_words as (
    select list(marker) as words
    from part_list_markers
),

skip_words as (
    select list(word) as words
    from restated_skip_words
),

stocks as (
    select
        observations.report_id,
        observations.mention_id,
        observations.indicator_id,
        observations.value,
        mention_quotes.sentence_start,
        mention_quotes.char_start,
        mention_quotes.quote,
        coalesce(
            list_bool_or(
                list_transform(
                    marker_words.words, lambda w: contains(mention_quotes.sentence_before, w)
                )
            ),
            false
        ) as in_breakdown
    from observations
    inner join single_valued_indicators using (indicator_id)
    inner join mention_quotes using (mention_id)
    cross join marker_words
    where not observations.approx
),

comparable as (
    select stocks.*
    from stocks
    cross join skip_words
    where
        not stocks.in_breakdown
        and not coalesce(
            list_bool_or(list_transform(skip_words.words, lambda w: contains(stocks.quote, w))),
            false
        )
),

pairs as (
    select
        earlier.report_id,
        earlier.indicator_id,
        earlier.mention_id as first_mention_id,
        earlier.value as first_value,
        earlier.quote as first_quote,
        later.mention_id as second_mention_id,
        later.value as second_value,
        later.quote as second_quote,
        -- one finding per indicator and report: its first disagreeing pair
        row_number() over (
            partition by earlier.report_id, earlier.indicator_id
            order by earlier.char_start, later.char_start
        ) as pair_rank
    from comparable as earlier
    inner join comparable as later
        on
            later.report_id = earlier.report_id
            and later.indicator_id = earlier.indicator_id
            and later.char_start > earlier.char_start
            and later.sentence_start != earlier.sentence_start
            and later.value != earlier.value
),

final as (
    select
        pairs.report_id,
        'restated_differently' as check_id,
        'warning' as severity,
        format(
            'The report gives {} ({}) as {} (“{}”) and later as {} (“{}”): if both count the same '
            || 'thing, one of them is wrong.',
            indicators.name_zh, indicators.name_en, fmt_num(pairs.first_value), pairs.first_quote,
            fmt_num(pairs.second_value), pairs.second_quote
        ) as message,
        format(
            '报告先称{}为{}（“{}”），后又称{}（“{}”）：如果两处统计的是同一事物，其中一处有误。',
            indicators.name_zh, fmt_num(pairs.first_value), pairs.first_quote,
            fmt_num(pairs.second_value), pairs.second_quote
        ) as message_zh,
        format(
            '{} = {} and {}', pairs.indicator_id, fmt_num(pairs.first_value),
            fmt_num(pairs.second_value)
        ) as figures,
        [pairs.first_mention_id, pairs.second_mention_id] as mention_ids
    from pairs
    inner join indicators using (indicator_id)
    where pairs.pair_rank = 1
)

select * from final
