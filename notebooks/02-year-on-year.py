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
# # 02 历年变化：同一机构的指标逐年怎么变
#
# 对有两个以上年度报告的机构，先看各项指标历年数值（小图），再看相邻两个年度之间的同比变化。
# 数据来自 `indicator_panel`（每个机构、年度、指标一个数值）与 `yoy_change`（相邻年度之间的变化）；
# 每张图下面是图所依据的数值与原文句子。相隔不止一年的两个年度会标明“隔 N 年”，不当作一年的变化。

# %% tags=["parameters"]
WAREHOUSE = None  # warehouse path; None means data/processed/warehouse.duckdb

# %%
import tempfile
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from pipeline import chartdata, charts, paths
from pipeline import chartkit as kit

con = chartdata.connect(WAREHOUSE or paths.WAREHOUSE)
scratch = tempfile.TemporaryDirectory()  # chart files; the images are embedded in the output
OUT = Path(scratch.name)
# bodies with two or more years, most year-on-year changes first (counted in the warehouse)
summary = chartdata.body_summary(con, 2)
# charts for at most this many bodies here; figures/ holds those of up to 100 bodies, and
# `python -m pipeline chart --body NAME` draws any body's
MAX_BODIES = 20
shown = list(summary["body"].head(MAX_BODIES))
# the panel rows and changes of the bodies shown (a national corpus has millions)
trends = chartdata.trend_frame(con, bodies=shown)
yoy = chartdata.yoy_frame(con, bodies=shown)

# %% [markdown]
# ## 有两个以上年度的机构

# %%
if summary.empty:
    print("没有哪个机构在两个以上年度都有对齐到指标的数值，无法比较历年变化。")
kit.evidence_table(
    summary,
    {
        "body": "机构",
        "years": "有数值的年度",
        "n_indicators": "指标数",
        "n_changes": "可比的变化数",
    },
)
if len(summary) > MAX_BODIES:
    display(
        Markdown(
            f"下面只画可比变化最多的前 {MAX_BODIES} 个机构（共 {len(summary)} 个）；"
            "其余机构的图在 `data/processed/figures/`。"
        )
    )

# %% [markdown]
# ## 各机构的指标历年数值与同比变化

# %%
for body in shown:
    display(Markdown(f"### {body}"))
    frame = trends[trends["body"] == body]
    kit.show(charts.trend_chart(frame, OUT / f"trend_{kit.slug(body)}.png"))
    display(Markdown("**证据：图中每个数值与原文句子**"))
    kit.evidence_table(kit.with_evidence_labels(frame), kit.FIGURE_EVIDENCE_COLUMNS)
    changes = yoy[yoy["body"] == body]
    if changes.empty:
        display(Markdown("没有两个年度都有数值的指标，无同比变化。"))
        continue
    kit.show(charts.yoy_chart(changes, OUT / f"yoy_{kit.slug(body)}.png"))
    display(Markdown("**证据：每项变化的两端数值与各自的原文句子**"))
    kit.evidence_table(
        changes.assign(
            span=[
                f"{int(a)}→{int(b)}"
                for a, b in zip(changes["year_from"], changes["year_to"], strict=True)
            ],
            pct=changes["pct_change"].map(
                lambda p: kit.signed_pct(p) if pd.notna(p) else "上年为0"
            ),
        ),
        {
            "name_zh": "指标",
            "span": "年度",
            "value_from": "前值",
            "value_to": "后值",
            "abs_change": "变化量",
            "pct": "变化率",
            "context_from": "前一年度原文",
            "context_to": "后一年度原文",
        },
    )

# %%
con.close()
scratch.cleanup()
