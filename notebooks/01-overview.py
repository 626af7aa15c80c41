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
# # 01 语料概览：读入了哪些报告，找到了哪些数字
#
# 本笔记本只读取 `data/processed/warehouse.duckdb`（只读连接），回答三个问题：
# 语料里有哪些机构、哪些年度的报告；每份报告抽取到多少个数字；这些数字覆盖了哪些指标。
# 每张图下面都有图所依据的数据表，指标数值附原文句子，可逐条核对。

# %% tags=["parameters"]
WAREHOUSE = None  # warehouse path; None means data/processed/warehouse.duckdb

# %%
import tempfile
from pathlib import Path

from pipeline import chartdata, charts, paths
from pipeline import chartkit as kit

con = chartdata.connect(WAREHOUSE or paths.WAREHOUSE)
scratch = tempfile.TemporaryDirectory()  # chart files; the images are embedded in the output
OUT = Path(scratch.name)
reports = chartdata.reports_frame(con)
print(f"warehouse: {WAREHOUSE or paths.WAREHOUSE}")

# %% [markdown]
# ## 读入情况
# 每个输入文件一行；`status` 不是 `ok` 的文件没有数字进入仓库，原因见 `message`。

# %%
status = reports.groupby("status", dropna=False).size().rename("文件数").reset_index()
kit.evidence_table(status, {"status": "状态", "文件数": "文件数"})
problems = con.execute(
    "select source_file, status, message from reports where status <> 'ok' order by source_file"
).df()
if not problems.empty:
    kit.evidence_table(problems, {"source_file": "文件", "status": "状态", "message": "说明"})

# %% [markdown]
# ## 各机构各年度的报告
# 格内为“对齐到指标的数值个数 / 抽取到的数字个数”。同一机构有两个以上年度时，才能比较历年变化（见 02）。

# %%
kit.show(charts.overview_chart(reports, OUT / "overview.png"))

# %%
ok = reports[reports["status"] == "ok"].assign(
    body=lambda f: f["body"].map(kit.body_label),
    file=lambda f: f["source_file"].map(lambda s: Path(s).name),
)
kit.evidence_table(
    ok,
    {
        "body": "机构",
        "report_year": "报告年度",
        "title": "标题",
        "file": "文件",
        "n_mentions": "抽取到的数字",
        "n_indicators": "对齐到的指标",
    },
)

# %% [markdown]
# ## 覆盖了哪些指标
# 每个指标在多少份报告、多少个机构中出现（来自 `observations` 与 `indicators` 两表）。

# %%
if chartdata.has_tables(con, "observations", "indicators"):
    covered = con.execute(
        """select i.name_zh, i.indicator_id, i.unit, i.kind,
                  count(distinct o.report_id) as n_reports, count(distinct o.body) as n_bodies,
                  string_agg(distinct o.report_year::varchar, '、' order by o.report_year::varchar) as years
           from indicators i left join observations o using (indicator_id)
           group by all order by n_reports desc, i.indicator_id"""
    ).df()
    kit.evidence_table(
        covered,
        {
            "name_zh": "指标",
            "indicator_id": "指标代码",
            "unit": "单位",
            "kind": "类型",
            "n_reports": "报告数",
            "n_bodies": "机构数",
            "years": "年度",
        },
    )
else:
    print("仓库中还没有 indicators / observations 表。")

# %% [markdown]
# ## 证据：每个指标数值及其原文句子
# `indicator_panel` 中每个机构、年度、指标的数值，连同抽取它的原文片段与所在句子。

# %%
# the first rows only, and how many there are (a national corpus has millions)
panel = chartdata.trend_frame(con, limit=kit.TABLE_ROW_LIMIT)
kit.evidence_table(
    kit.with_evidence_labels(panel),
    {"body": "机构", **kit.FIGURE_EVIDENCE_COLUMNS},
    total=panel.attrs["total_rows"],
)

# %%
con.close()
scratch.cleanup()
