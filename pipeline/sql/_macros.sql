-- Scalar macros the models use to write readable messages. Run before the models.

-- a figure as people write it: 359 not 359.0, 0.49 not 0.4902506963788301, 12,320,000
create or replace macro fmt_num(x) as
    case
        when x is null then 'NULL'
        when x = round(x) and abs(x) >= 10000 then format('{:,}', cast(round(x) as bigint))
        when x = round(x) then cast(cast(round(x) as bigint) as varchar)
        else regexp_replace(printf('%.2f', x), '\.?0+$', '')
    end;
