# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 覆盖率与一致性检查
#
# 第一部分比较各机构、各年度的比率（如每所学校配备多少名法治副校长），比率的定义是“分子指标 ÷ 分母指标”，
# 两者都取自同一份报告。第二部分列出每份报告中数字之间的矛盾（分项之和与总数不符、比率与人数不符等）。
# 每张图下面是图所依据的数字与原文句子。数据来自 `coverage_rates` 与 `consistency_checks` 两表。

# %% tags=["parameters"]
WAREHOUSE = None  # warehouse path; None means data/processed/warehouse.duckdb

# %%
import tempfile
from pathlib import Path

from IPython.display import Markdown, display

from pipeline import chartdata, charts, paths
from pipeline import chartkit as kit

con = chartdata.connect(WAREHOUSE or paths.WAREHOUSE)
scratch = tempfile.TemporaryDirectory()  # chart files; the images are embedded in the output
OUT = Path(scratch.name)
# every rate for the chart; their sentences only for the first rows of the table below
coverage = chartdata.coverage_frame(con, sentences=False)
coverage_evidence = chartdata.coverage_frame(con, limit=kit.TABLE_ROW_LIMIT)
# findings counted per report and check; their text and sentences only for the first rows
# shown below (a national corpus has a million findings)
check_counts = chartdata.check_counts(con)
findings = chartdata.checks_frame(con, limit=kit.TABLE_ROW_LIMIT)
reports = chartdata.reports_frame(con)

# %% [markdown]
# ## 覆盖率与人均指标

# %%
kit.show(charts.coverage_chart(coverage, OUT / "coverage_rates.png"))

# %%
display(Markdown("**证据：每个比率的分子、分母与各自的原文句子**"))
kit.evidence_table(
    coverage_evidence.assign(body=coverage_evidence["body"].map(kit.body_label)),
    {
        "name_zh": "比率",
        "body": "机构",
        "report_year": "年度",
        "value": "数值",
        "unit": "单位",
        "numerator_name": "分子",
        "numerator": "分子数值",
        "numerator_context": "分子原文",
        "denominator_name": "分母",
        "denominator": "分母数值",
        "denominator_context": "分母原文",
    },
    total=coverage_evidence.attrs["total_rows"],
)

# %% [markdown]
# ## 一致性检查

# %%
kit.show(charts.checks_chart(check_counts, reports, OUT / "checks.png"))

# %%
display(Markdown("**每份报告的检查结果**（发现条数为 0 表示未发现矛盾）"))
ok = reports[reports["status"] == "ok"]
counts = check_counts.groupby("report_id")["n"].sum()
kit.evidence_table(
    ok.assign(
        body=ok["body"].map(kit.body_label),
        file=ok["source_file"].map(lambda s: Path(s).name),
        n_findings=ok["report_id"].map(counts).fillna(0).astype(int),
    ),
    {"body": "机构", "report_year": "年度", "file": "文件", "n_findings": "发现条数"},
)

# %%
display(Markdown("**证据：每条发现的说明与所涉数字的原文句子**"))
kit.evidence_table(
    findings.assign(
        body=findings["body"].map(kit.body_label),
        file=findings["source_file"].map(lambda s: Path(s).name if isinstance(s, str) else ""),
        level=findings["severity"].map(lambda s: charts.SEVERITY_ZH.get(s, s)),
    ),
    {
        "body": "机构",
        "report_year": "年度",
        "file": "文件",
        "check_id": "检查",
        "level": "级别",
        "message": "说明",
        "evidence": "原文句子",
    },
    total=findings.attrs["total_rows"],
)

# %%
con.close()
scratch.cleanup()
