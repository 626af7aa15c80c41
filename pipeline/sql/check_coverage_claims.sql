-- check_coverage_claims: a stated coverage rate (聘请率达到100%) that the report's own counts
-- contradict. The claim must sit in the same sentence as a figure of the rate's numerator
-- (共聘请176名法治校委，聘请率达到100%), and the report must state the denominator
-- (各级各类学校359所). Which stated rates claim which ratio is data: rate_claims, from
-- pipeline/coverage_rates.yml. The figure in the claim's sentence may be an observation of the
-- numerator or a restatement of one (the same value and unit later in the report, which the
-- catalog labels once, at its first statement). When numerator < denominator x claimed share, both figures hold only
-- if what `if_short` says is true; the message says so. A claim may be about part of the
-- denominator (中小学 without 幼儿园: `denominator_may_exclude`), so it is only flagged when even the
-- denominator without those parts cannot be covered. Approximate figures are not checked.
with

observations as not materialized (select * from observations),

mention_quotes as not materialized (select * from mention_quotes),

indicators as not materialized (select * from indicators),

rate_definitions as not materialized (select * from rate_definitions),

rate_claims as not materialized (select * from rate_claims),

rate_claim_exclusions as not materialized (select * from rate_claim_exclusions),

-- only the columns read below: this is joined and windowed over every observation
located as (
    select
        observations.report_id,
        observations.mention_id,
        observations.indicator_id,
        observations.value,
        observations.unit,
        observations.approx,
        observations.in_panel,
        mention_quotes.sentence_start,
        mention_quotes.char_start,
        mention_quotes.quote
    from observations
    inner join mention_quotes using (mention_id)
),

claims as (
    select
        located.report_id,
        located.mention_id as claim_mention_id,
        located.value as claimed_pct,
        located.sentence_start,
        located.quote as claim_quote,
        rate_claims.rate_id,
        rate_claims.claim_indicator_id,
        rate_claims.denominator_word,
        rate_claims.if_short,
        coalesce(rate_claims.denominator_word_zh, rate_claims.denominator_word)
            as denominator_word_zh,
        coalesce(rate_claims.if_short_zh, rate_claims.if_short) as if_short_zh,
        rate_definitions.numerator_id,
        rate_definitions.denominator_id
    from located
    inner join rate_claims on rate_claims.claim_indicator_id = located.indicator_id
    inner join rate_definitions using (rate_id)
    where located.unit = '%' and located.value > 0 and located.value <= 100 and not located.approx
),

-- the numerators the claims need, per report: figures of other reports or indicators are never
-- joined to a claim, and leaving them out keeps the joins below small on a large corpus
wanted_numerators as (select distinct report_id, numerator_id from claims),

numerator_figures as (
    -- observations of each numerator, and later restatements of their values (same value and unit)
    select
        located.report_id,
        located.indicator_id,
        mention_quotes.mention_id,
        mention_quotes.value,
        mention_quotes.sentence_start,
        mention_quotes.char_start,
        mention_quotes.quote
    from located
    inner join mention_quotes
        on
            mention_quotes.report_id = located.report_id
            and mention_quotes.value = located.value
            and mention_quotes.unit is not distinct from located.unit
    where
        not located.approx and not mention_quotes.approx and coalesce(located.unit, '') != '%'
        and (located.report_id, located.indicator_id) in (from wanted_numerators)
        and mention_quotes.report_id in (select report_id from wanted_numerators)
),

numerators as (
    select
        claims.*,
        numerator_figures.mention_id as numerator_mention_id,
        numerator_figures.value as numerator,
        numerator_figures.quote as numerator_quote,
        -- one finding per claim: the numerator figure nearest before it in the sentence
        row_number() over (
            partition by claims.claim_mention_id, claims.rate_id
            order by
                (numerator_figures.char_start < mq.char_start) desc,
                abs(numerator_figures.char_start - mq.char_start),
                numerator_figures.mention_id
        ) as nearest
    from claims
    inner join numerator_figures
        on
            numerator_figures.report_id = claims.report_id
            and numerator_figures.indicator_id = claims.numerator_id
            and numerator_figures.sentence_start = claims.sentence_start
    inner join mention_quotes as mq on mq.mention_id = claims.claim_mention_id
),

denominators as (
    select
        report_id,
        indicator_id,
        mention_id as denominator_mention_id,
        value as denominator,
        quote as denominator_quote,
        -- the figure the panel uses for that report, else the first one stated
        row_number() over (
            partition by report_id, indicator_id
            order by coalesce(in_panel, false) desc, char_start
        ) as pick
    from located
    -- whole reports (the window's partitions) of the claims: the others are never joined
    where not approx and report_id in (select report_id from claims)
),

with_denominator as (
    select
        numerators.*,
        denominators.denominator_mention_id,
        denominators.denominator,
        denominators.denominator_quote
    from numerators
    inner join denominators
        on
            denominators.report_id = numerators.report_id
            and denominators.indicator_id = numerators.denominator_id
            and denominators.pick = 1
    where numerators.nearest = 1 and numerators.numerator > 0
),

excluded as (
    -- the parts the claim may leave out, as the same report states them
    select
        with_denominator.claim_mention_id,
        with_denominator.rate_id,
        sum(denominators.denominator) as excluded,
        string_agg(
            fmt_num(denominators.denominator) || ' ' || lower(indicators.name_en), ' and '
            order by denominators.indicator_id
        ) as excluded_text,
        string_agg(
            indicators.name_zh || fmt_num(denominators.denominator) || indicators.unit, '、'
            order by denominators.indicator_id
        ) as excluded_text_zh
    from with_denominator
    inner join rate_claim_exclusions
        on
            rate_claim_exclusions.rate_id = with_denominator.rate_id
            and rate_claim_exclusions.claim_indicator_id = with_denominator.claim_indicator_id
    inner join denominators
        on
            denominators.report_id = with_denominator.report_id
            and denominators.indicator_id = rate_claim_exclusions.indicator_id
            and denominators.pick = 1
    inner join indicators on indicators.indicator_id = rate_claim_exclusions.indicator_id
    group by all
),

findings as (
    select
        with_denominator.*,
        excluded.excluded_text,
        excluded.excluded_text_zh,
        with_denominator.denominator - coalesce(excluded.excluded, 0) as smallest_denominator,
        with_denominator.denominator * with_denominator.claimed_pct / 100 as needed
    from with_denominator
    left join excluded using (claim_mention_id, rate_id)
    where
        with_denominator.numerator
        < (with_denominator.denominator - coalesce(excluded.excluded, 0))
        * with_denominator.claimed_pct / 100
),

final as (
    select
        report_id,
        'coverage_claim_contradicted' as check_id,
        'warning' as severity,
        format(
            '“{}” is stated with “{}”, but the report counts {} {} (“{}”){}: {} can cover {}% of {} {} '
            || 'only if {} (about {} {} each).',
            claim_quote, numerator_quote, fmt_num(denominator), denominator_word,
            denominator_quote,
            case
                when excluded_text is null then ''
                else format(
                    ', {} even without its {}', fmt_num(smallest_denominator), excluded_text
                )
            end,
            fmt_num(numerator), fmt_num(claimed_pct), fmt_num(denominator),
            denominator_word, if_short, fmt_num(round(needed / numerator, 1)), denominator_word
        ) as message,
        format(
            '“{}”与“{}”同时出现，但报告统计的是{}{}（“{}”）{}：{}要覆盖{}{}的{}%，'
            || '只有在{}时才可能成立（平均每人约{}{}）。',
            claim_quote, numerator_quote, fmt_num(denominator), denominator_word_zh,
            denominator_quote,
            case
                when excluded_text_zh is null then ''
                else format(
                    '，即使不计{}也有{}{}', excluded_text_zh, fmt_num(smallest_denominator),
                    denominator_word_zh
                )
            end,
            fmt_num(numerator), fmt_num(denominator), denominator_word_zh, fmt_num(claimed_pct),
            if_short_zh, fmt_num(round(needed / numerator, 1)), denominator_word_zh
        ) as message_zh,
        format(
            'claimed {}%; {} = {}; {} = {}', fmt_num(claimed_pct), numerator_id, fmt_num(numerator),
            denominator_id, fmt_num(denominator)
        ) as figures,
        [claim_mention_id, numerator_mention_id, denominator_mention_id] as mention_ids
    from findings
)

select * from final
