"""The rule catalogue: every rule's id, topic, severity and title, in one stable order.

The consistency rules (R1–R4, R6, X1) and the ratio checks come from the spec; the rest are built in here."""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import SEVERITY_ZH
from ..spec import Spec


@dataclass(frozen=True)
class RuleInfo:
    """One rule as the catalogue lists it."""

    id: str
    topic: str
    severity: str
    title: str


# Built-in rules; the consistency rules (R1–R4, R6, X1) come from the spec.
BUILTIN = [
    RuleInfo("E0", "读取", "error", "文件无法读取（损坏、加密、扫描件、不是工作簿或报告等）"),
    RuleInfo("S1", "结构", "error", "gktool 工作簿的格式版本未知"),
    RuleInfo(
        "S9", "结构", "warning", "不是 gktool 生成的工作簿，或 gktool 工作簿另存为其他格式（按标签找到官方表格读取）"
    ),
    RuleInfo("S10", "结构", "warning", "工作簿中多了工作表（其中的内容不会被读取）"),
    RuleInfo("D1", "读取", "warning", "网页中有无法识别的字符（已用“�”代替）"),
    RuleInfo("P1", "读取", "warning", "PDF 中有扫描的页面（没有文字层，其中的内容未读取）"),
    RuleInfo("P2", "读取", "warning", "PDF 页面上的线条过多，未在该页查找表格"),
    RuleInfo(
        "P3",
        "读取",
        "warning",
        "gktool 未能读出文件中印着的数字或行（写明行和页）；结论为“未能完整读取”，退出码 3",
    ),
    RuleInfo("T1", "表格识别", "error", "缺少官方表格或表格中的行"),
    RuleInfo("T2", "表格识别", "warning", "表格标签与官方文字不一致（按官方标签读取）"),
    RuleInfo("T3", "表格识别", "warning", "分组只有一行，没有官方格式的分项"),
    RuleInfo("T4", "表格识别", "error", "一行的数字无法分清各栏（未读取）"),
    RuleInfo("T5", "表格识别", "warning", "应填数字的单元格为空白或“/”“—”（按 0 读取）"),
    RuleInfo("S2", "结构", "error", "缺少工作表"),
    RuleInfo("S3", "结构", "error", "表格标签被修改"),
    RuleInfo("S4", "结构", "error", "表格中插入或删除了行、列"),
    RuleInfo("S5", "结构", "error", "工作簿包含宏（VBA）"),
    RuleInfo("S6", "结构", "error", "工作簿包含外部链接"),
    RuleInfo("S7", "结构", "warning", "工作簿由另一版本的模板生成（版式指纹不同）"),
    RuleInfo("S8", "结构", "warning", "表格区域以外还有内容（不会被读取）"),
    RuleInfo("C1", "封面", "error", "必填的封面信息未填写或不正确"),
    RuleInfo("R5", "数据类型", "error", "数量须为不小于0的整数，金额须为不小于0的数；不能填文字"),
    RuleInfo("R7", "数据类型", "warning", "金额超过两位小数，或大小不合常理（可能把“元”与“万元”弄错，请核实单位）"),
    RuleInfo("F1", "公式", "error", "合计单元格的公式被删除或改动"),
    RuleInfo("F2", "公式", "warning", "文件中保存的合计值与按填报数据重新计算的值不一致"),
    RuleInfo("F3", "公式", "warning", "“校验”表的公式被改动"),
    RuleInfo("C2", "封面", "warning", "报告年度与文字说明中的统计期限不一致"),
    RuleInfo("K1", "完整性", "error", "联系方式（地址、电话、网站）未填写"),
    RuleInfo("K2", "完整性", "warning", "必写的文字部分（总体情况、存在的主要问题）是空的"),
    RuleInfo("K3", "完整性", "error", "三张表格都没有填写任何数字"),
    RuleInfo("K4", "完整性", "error", "信息处理费的件数或金额留空（没有收取应填 0）"),
    RuleInfo("R9", "文字与表格", "warning", "文字说明中引用的数字与表格不一致，或没有写明信息处理费"),
    RuleInfo("R11", "格式", "warning", "表格中有 2019 年试行格式的栏目"),
]


# The cross-year rules (validate --previous): functions of two reports, in checks/crossyear.py.
TOPIC = "跨年度"
CROSS_YEAR = [
    RuleInfo(
        "Y0",
        TOPIC,
        "warning",
        "没有可用的上年报告（上年文件夹中没有同一单位上一年度的报告，或无法读取），未做跨年度检查",
    ),
    RuleInfo("Y1", TOPIC, "error", "二、上年结转等于上年报告的四、结转下年度继续办理（逐列）"),
    RuleInfo("Y2", TOPIC, "warning", "现行有效件数等于上年现行有效件数加本年制发件数减本年废止件数"),
    RuleInfo("Y3", TOPIC, "warning", "文字说明大部分与上年报告相同（固定的官方表述不计）"),
    RuleInfo("Y4", TOPIC, "warning", "三张表格的数字与上年报告完全相同"),
    RuleInfo("Y5", TOPIC, "error", "上年报告须是同一单位上一年度的报告（先于其他跨年度检查）"),
    RuleInfo("Y6", TOPIC, "warning", "数字与上年相比变化很大（如增减到5倍以上），请核实"),
]


def catalogue(spec: Spec) -> list[RuleInfo]:
    """Every rule id with its topic, severity and title, in a stable order."""
    rules = list(BUILTIN)
    seen = {r.id for r in rules}
    for c in spec.checks:
        if c.rule not in seen:
            seen.add(c.rule)
            topic = "跨表" if c.rule.startswith("X") else "勾稽关系"
            rules.append(RuleInfo(c.rule, topic, c.severity, c.title))
    for pc in spec.pair_checks:
        if pc.id not in seen:
            seen.add(pc.id)
            rules.append(RuleInfo(pc.id, "跨表", pc.severity, pc.title))
    rules.extend(CROSS_YEAR)
    order = ["E", "D", "P", "S", "T", "C", "K", "R", "F", "X", "Y"]
    return sorted(rules, key=lambda r: (order.index(r.id[0]), int(r.id[1:])))


def catalogue_markdown(spec: Spec) -> str:
    """The catalogue as the README's Markdown table."""
    lines = ["| 编号 | 类别 | 级别 | 检查内容 |", "| --- | --- | --- | --- |"]
    for r in catalogue(spec):
        lines.append(f"| {r.id} | {r.topic} | {SEVERITY_ZH[r.severity]} | {r.title} |")
    return "\n".join(lines)
