"""The spec itself: labels verbatim against the official format, ids unique, references valid."""

import pytest

from gktool.spec import available_formats, load_spec

# The official labels, transcribed independently from 国办公开办函〔2021〕30号 (as the
# national-format reference lists them): (sheet, cell range, text).
OFFICIAL = [
    ("二、主动公开", "A1:D1", "第二十条第（一）项"),
    ("二、主动公开", "A2", "信息内容"),
    ("二、主动公开", "B2", "本年制发件数"),
    ("二、主动公开", "C2", "本年废止件数"),
    ("二、主动公开", "D2", "现行有效件数"),
    ("二、主动公开", "A3", "规章"),
    ("二、主动公开", "A4", "行政规范性文件"),
    ("二、主动公开", "A5:D5", "第二十条第（五）项"),
    ("二、主动公开", "A6", "信息内容"),
    ("二、主动公开", "B6:D6", "本年处理决定数量"),
    ("二、主动公开", "A7", "行政许可"),
    ("二、主动公开", "A8:D8", "第二十条第（六）项"),
    ("二、主动公开", "A9", "信息内容"),
    ("二、主动公开", "B9:D9", "本年处理决定数量"),
    ("二、主动公开", "A10", "行政处罚"),
    ("二、主动公开", "A11", "行政强制"),
    ("二、主动公开", "A12:D12", "第二十条第（八）项"),
    ("二、主动公开", "A13", "信息内容"),
    ("二、主动公开", "B13:D13", "本年收费金额（单位：万元）"),
    ("二、主动公开", "A14", "行政事业性收费"),
    ("三、依申请公开", "A1:C3", "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"),
    ("三、依申请公开", "D1:J1", "申请人情况"),
    ("三、依申请公开", "D2:D3", "自然人"),
    ("三、依申请公开", "E2:I2", "法人或其他组织"),
    ("三、依申请公开", "E3", "商业企业"),
    ("三、依申请公开", "F3", "科研机构"),
    ("三、依申请公开", "G3", "社会公益组织"),
    ("三、依申请公开", "H3", "法律服务机构"),
    ("三、依申请公开", "I3", "其他"),
    ("三、依申请公开", "J2:J3", "总计"),
    ("三、依申请公开", "A4:C4", "一、本年新收政府信息公开申请数量"),
    ("三、依申请公开", "A5:C5", "二、上年结转政府信息公开申请数量"),
    ("三、依申请公开", "A6:A27", "三、本年度办理结果"),
    ("三、依申请公开", "B6:C6", "（一）予以公开"),
    ("三、依申请公开", "B7:C7", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("三、依申请公开", "B8:B15", "（三）不予公开"),
    ("三、依申请公开", "C8", "1.属于国家秘密"),
    ("三、依申请公开", "C9", "2.其他法律行政法规禁止公开"),
    ("三、依申请公开", "C10", "3.危及“三安全一稳定”"),
    ("三、依申请公开", "C11", "4.保护第三方合法权益"),
    ("三、依申请公开", "C12", "5.属于三类内部事务信息"),
    ("三、依申请公开", "C13", "6.属于四类过程性信息"),
    ("三、依申请公开", "C14", "7.属于行政执法案卷"),
    ("三、依申请公开", "C15", "8.属于行政查询事项"),
    ("三、依申请公开", "B16:B18", "（四）无法提供"),
    ("三、依申请公开", "C16", "1.本机关不掌握相关政府信息"),
    ("三、依申请公开", "C17", "2.没有现成信息需要另行制作"),
    ("三、依申请公开", "C18", "3.补正后申请内容仍不明确"),
    ("三、依申请公开", "B19:B23", "（五）不予处理"),
    ("三、依申请公开", "C19", "1.信访举报投诉类申请"),
    ("三、依申请公开", "C20", "2.重复申请"),
    ("三、依申请公开", "C21", "3.要求提供公开出版物"),
    ("三、依申请公开", "C22", "4.无正当理由大量反复申请"),
    ("三、依申请公开", "C23", "5.要求行政机关确认或重新出具已获取信息"),
    ("三、依申请公开", "B24:B26", "（六）其他处理"),
    ("三、依申请公开", "C24", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("三、依申请公开", "C25", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("三、依申请公开", "C26", "3.其他"),
    ("三、依申请公开", "B27:C27", "（七）总计"),
    ("三、依申请公开", "A28:C28", "四、结转下年度继续办理"),
    ("四、复议诉讼", "A1:E1", "行政复议"),
    ("四、复议诉讼", "F1:O1", "行政诉讼"),
    ("四、复议诉讼", "A2:A3", "结果维持"),
    ("四、复议诉讼", "B2:B3", "结果纠正"),
    ("四、复议诉讼", "C2:C3", "其他结果"),
    ("四、复议诉讼", "D2:D3", "尚未审结"),
    ("四、复议诉讼", "E2:E3", "总计"),
    ("四、复议诉讼", "F2:J2", "未经复议直接起诉"),
    ("四、复议诉讼", "K2:O2", "复议后起诉"),
] + [
    ("四、复议诉讼", f"{c}3", t)
    for cols in ("FGHIJ", "KLMNO")
    for c, t in zip(cols, ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"], strict=False)
]

SECTIONS = [
    ("一", "总体情况"),
    ("二", "主动公开政府信息情况"),
    ("三", "收到和处理政府信息公开申请情况"),
    ("四", "政府信息公开行政复议、行政诉讼情况"),
    ("五", "存在的主要问题及改进情况"),
    ("六", "其他需要报告的事项"),
]


def test_table_labels_match_the_official_format(spec):
    table_labels = {(lab.sheet, lab.range, lab.text) for s in spec.sheets if s.kind == "table" for lab in s.labels}
    assert table_labels == set(OFFICIAL)


def test_sections_in_official_order(spec):
    assert [(s.section, s.heading) for s in spec.sheets if s.section] == SECTIONS


@pytest.mark.parametrize("name", available_formats())
def test_every_shipped_spec_loads(name):
    """Loading runs check_spec: a shipped spec with any of the mistakes below would not load."""
    assert load_spec(name).sheets


def _spec_text() -> str:
    from importlib import resources

    return (resources.files("gktool.workbook_templates") / "national-2021.toml").read_text(encoding="utf-8")


# one edit of the shipped spec per kind of mistake check_spec names, and a word its message must contain
MISTAKES = {
    "sheet name Excel refuses": (('name = "五、问题及改进"', 'name = "五、问题/改进"'), "不能用作 Excel 工作表名"),
    "a cell used twice": (('{ cell = "A3", text = "规章" }', '{ cell = "B3", text = "规章" }'), "既是"),
    "a duplicate sheet key": (('key = "s5"', 'key = "s1"'), "重复"),
    "a pattern with two groups": (
        (r'pattern = "办结[^。；，,]{0,16}?(\\d+)\\s*件"', r'pattern = "(办结)[^。；，,]{0,16}?(\\d+)\\s*件"'),
        "只有一个括号分组",
    ),
    "a bad pattern": ((r'pattern = "办结[^。；，,]{0,16}?(\\d+)\\s*件"', r'pattern = "办结[(\\d+)"'), "正则表达式"),
    "a rule on no cell": (('right = ["{col}27", "{col}28"]', 'right = ["{col}27", "Z99"]'), "Z99"),
    "an unknown field": (('left = ["@fee_count"]', 'left = ["@nosuch"]'), "nosuch"),
    "no unit field": (('key = "unit"', 'key = "org"'), "unit"),
    "a pair message with a stray placeholder": (("两者应同时为0", "两者{third}应同时为0"), "占位符"),
    "a pair on no cell": (('second = "@fee_amount"', 'second = "六、其他事项!Z9"'), "Z9"),
    "a report figure on no cell": (('resolved = "三、依申请公开!J27"', 'resolved = "三、依申请公开!J99"'), "J99"),
    "a title pattern that is no pattern": (('(?:工作)?年度报告"', '(?:工作)?年度报告(("'), "title"),
    "a title pattern without the year's group": ((r"(20\\d\\d)\\s*年(?:度)", r"20\\d\\d\\s*年(?:度)"), "两个括号分组"),
    "a fee pattern that is no pattern": (('fee_amount = "信息处理费', 'fee_amount = "(信息处理费'), "fee_amount"),
    "a contact for no field": (("contacts = { website", "contacts = { site"), "site"),
    "an unknown type": (('{ cells = "D28:I28", type = "count" }', '{ cells = "D28:I28", type = "counts" }'), "counts"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_kind_of_spec_mistake_is_named_when_loaded(mistake):
    from gktool.refs import SpecProblem
    from gktool.spec import load_spec_text

    (old, new), word = MISTAKES[mistake]
    text = _spec_text()
    assert old in text, old
    with pytest.raises((SpecProblem, KeyError)) as caught:
        load_spec_text(text.replace(old, new, 1), "x")
    assert word in str(caught.value), str(caught.value)


def test_reference_rules_have_their_ids(spec):
    assert {"R1", "R2", "R3", "R4", "R6"} <= set(spec.rule_ids())
    r1 = [c for c in spec.checks if c.rule == "R1"]
    assert len(r1) == 7 and r1[0].where == "“自然人”列"


def test_cells_are_described_as_people_read_them(spec):
    assert spec.describe("三、依申请公开", "D27") == "表三 （七）总计 × 自然人（三、依申请公开!D27）"
    assert spec.describe("四、复议诉讼", "J4") == "表四 未经复议直接起诉 总计（四、复议诉讼!J4）"
    assert spec.describe("三、依申请公开", "E10").startswith("表三 （三）不予公开 3.危及“三安全一稳定” × 商业企业")


def test_fingerprint_is_stable_and_layout_sensitive(spec):
    from pathlib import Path

    from gktool.spec import load_spec_text

    text = (Path(__file__).parent.parent / "workbook_templates" / "national-2021.toml").read_text(encoding="utf-8")
    assert load_spec_text(text, "x").fingerprint == spec.fingerprint
    changed = text.replace('text = "规章"', 'text = "规 章"')
    assert load_spec_text(changed, "x").fingerprint != spec.fingerprint
