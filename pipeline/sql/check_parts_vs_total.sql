-- check_parts_vs_total: a stated total followed by a breakdown (其中/包括/含 ...) whose parts do
-- not add up to it. Works on mentions, so it needs no indicator: 各级各类学校359所，其中公办高中3所，
-- ...，幼儿园66所 is checked whatever the parts are called.
-- The breakdown is the run of figures right after the total in its sentence, of the total's unit
-- family (or written without a unit), each within part_list_max_gap characters of the previous one;
-- the first figure that breaks this ends it. Approximate figures (余/多/近) cannot be summed exactly,
-- so a breakdown holding one is not checked. Parts that add up to more than the total are flagged;
-- parts that fall short only by a small share (part_list_max_shortfall), since a breakdown that
-- lists a few parts of a large total is a partial list, not a contradiction. An excess is only
-- flagged for a breakdown of at least part_list_min_parts_over parts: two figures after a total
-- are often a chain of sub-counts (发现问题30个，其中整改25个，销号20个), not parallel parts. When the
-- first parts already add up to the total, the rest is a second classification of the same total
-- (其中公办300所、民办59所，小学267所 ...), not an excess.
with

mention_quotes as not materialized (select * from mention_quotes),

unit_families as not materialized (select * from unit_families),

part_list_markers as not materialized (select * from part_list_markers),

check_settings as not materialized (select * from check_settings),

settings as (
    select
        max(value) filter (where name = 'part_list_max_gap') as max_gap,
        max(value) filter (where name = 'part_list_max_shortfall') as max_shortfall,
        max(value) filter (where name = 'part_list_min_parts_over') as min_parts_over
    from check_settings
),

marker_pattern as (
    select '^(' || string_agg(marker, '|') || ')' as leading_marker
    from part_list_markers
),

figures as not materialized (
    select
        mention_quotes.*,
        coalesce(unit_families.family, mention_quotes.unit) as family
    from mention_quotes
    left join unit_families on unit_families.unit = mention_quotes.unit
),

-- a figure followed (within 6 characters, after punctuation) by a marker opens a breakdown; plain
-- string tests, since a regex built from the markers table would be compiled again for every row
totals as (
    select figures.*
    from figures
    where
        coalesce(figures.unit, '') != '%'
        and exists (
            select 1
            from part_list_markers
            where starts_with(
                ltrim(
                    left(figures.text_after, 6),
                    '，,：:、 （(' || chr(9) || chr(10) || chr(12) || chr(13)
                ),
                part_list_markers.marker
            )
        )
),

candidates as (
    select
        totals.mention_id as total_mention_id,
        parts.mention_id,
        parts.value,
        parts.approx,
        parts.char_start,
        parts.quote,
        parts.char_start - lag(parts.char_end, 1, totals.char_end) over w as gap,
        parts.family is not null and totals.family is not null
        and parts.family != totals.family as other_family
    from totals
    inner join figures as parts
        on
            parts.report_id = totals.report_id
            and parts.sentence_start = totals.sentence_start
            and parts.char_start > totals.char_start
    window w as (partition by totals.mention_id order by parts.char_start)
),

breaks as (
    select
        total_mention_id,
        min(candidates.char_start) as break_at
    from candidates
    cross join settings
    where candidates.other_family or candidates.gap > settings.max_gap
    group by total_mention_id
),

parts as (
    select
        candidates.*,
        sum(candidates.value) over (
            partition by candidates.total_mention_id order by candidates.char_start
        ) as running_sum
    from candidates
    left join breaks using (total_mention_id)
    where breaks.break_at is null or candidates.char_start < breaks.break_at
),

breakdowns as (
    select
        parts.total_mention_id,
        count(*) as n_parts,
        sum(parts.value) as parts_sum,
        bool_or(parts.approx) as any_part_approx,
        list(parts.running_sum) as running_sums,
        list(parts.mention_id order by parts.char_start) as part_mention_ids,
        string_agg(
            regexp_replace(parts.quote, marker_pattern.leading_marker, ''), ' + '
            order by parts.char_start
        ) as parts_text
    from parts
    cross join marker_pattern
    group by parts.total_mention_id
),

findings as (
    select
        totals.report_id,
        totals.mention_id,
        totals.value as total,
        totals.quote as total_quote,
        breakdowns.*
    from totals
    inner join breakdowns on breakdowns.total_mention_id = totals.mention_id
    cross join settings
    where
        breakdowns.n_parts >= 2
        and not totals.approx
        and not breakdowns.any_part_approx
        and not list_contains(breakdowns.running_sums, totals.value)
        and (
            (breakdowns.parts_sum > totals.value and breakdowns.n_parts >= settings.min_parts_over)
            or (
                breakdowns.parts_sum < totals.value
                and totals.value - breakdowns.parts_sum <= settings.max_shortfall * totals.value
            )
        )
),

final as (
    select
        report_id,
        'parts_vs_total' as check_id,
        'warning' as severity,
        case
            when parts_sum < total then format(
                'The {} figures listed after “{}” ({}) add up to {}, {} fewer than the stated '
                || 'total of {}: a category is missing from the list or one of the figures is wrong.',
                n_parts, total_quote, parts_text, fmt_num(parts_sum), fmt_num(total - parts_sum),
                fmt_num(total)
            )
            else format(
                'The {} figures listed after “{}” ({}) add up to {}, {} more than the stated '
                || 'total of {}: unless the categories overlap, one of the figures is wrong.',
                n_parts, total_quote, parts_text, fmt_num(parts_sum), fmt_num(parts_sum - total),
                fmt_num(total)
            )
        end as message,
        format(
            '“{}”之后列出的{}项数字（{}）合计{}，比所述总数{}{}{}：{}。',
            total_quote, n_parts, parts_text, fmt_num(parts_sum), fmt_num(total),
            case when parts_sum < total then '少' else '多' end,
            fmt_num(abs(total - parts_sum)),
            case
                when parts_sum < total then '清单漏列了某一类，或其中某个数字有误'
                else '除非各类有重叠，否则其中某个数字有误'
            end
        ) as message_zh,
        format('total {}; parts {} = {}', fmt_num(total), parts_text, fmt_num(parts_sum))
            as figures,
        list_prepend(mention_id, part_mention_ids) as mention_ids
    from findings
)

select * from final
