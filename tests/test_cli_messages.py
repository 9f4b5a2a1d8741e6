"""Command-line usage errors and help screens speak Chinese only (no click English), exit code 2."""

import re
import unicodedata

import pytest
from click.testing import CliRunner

from gktool.cli import main

# What click says in English, outside brackets, must not reach the user.
ENGLISH = re.compile(r"Error|Usage|Options|Commands|Missing|Invalid|No such|Try |Show this|version|default:")


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["validate"],
            "用法错误：缺少参数 文件...。运行“gktool validate -h”查看用法。",
        ),
        (
            ["new", "--year", "2020"],
            "用法错误：--year 的值不对：2020 不在 2021 到 2100 之间。运行“gktool new -h”查看用法。",
        ),
        (
            ["new", "--year", "二〇二三"],
            "用法错误：--year 的值不对：“二〇二三” 不是整数。运行“gktool new -h”查看用法。",
        ),
        (
            ["validate", "--format", "xml", "a.xlsx"],
            "用法错误：--format 的值不对：“xml” 不是可选的值（可选：text、json）。运行“gktool validate -h”查看用法。",
        ),
        (
            ["validate", "--zzz", "a.xlsx"],
            "用法错误：没有选项 --zzz。运行“gktool validate -h”查看用法。",
        ),
        (
            ["validate", "--form", "json", "a.xlsx"],
            "用法错误：没有选项 --form；是不是要用 --format？运行“gktool validate -h”查看用法。",
        ),
        (
            ["check", "a.xlsx"],
            "用法错误：没有命令 check；可用的命令：annotate、collect、extract、new、report、rules、serve、validate。运行“gktool -h”查看用法。",
        ),
        (
            ["new", "--unit"],
            "用法错误：选项 --unit 后面要写一个值。运行“gktool new -h”查看用法。",
        ),
        (
            ["report", "a.xlsx", "b.xlsx"],
            "用法错误：多余的参数：b.xlsx（文件名中有空格时请加引号）。运行“gktool report -h”查看用法。",
        ),
    ],
)
def test_usage_errors_are_one_chinese_line_with_exit_code_2(args, expected):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == expected
    assert not ENGLISH.search(result.output)


def test_a_misspelt_command_gets_a_suggestion():
    result = run("valdate", "a.xlsx")
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith("用法错误：没有命令 valdate；是不是要用 validate？")
    assert "Traceback" not in line and not ENGLISH.search(line)


def screen_columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@pytest.mark.parametrize(
    "args", [["--help"], ["-h"], ["new", "-h"], ["validate", "--help"], ["report", "-h"], ["rules", "-h"]]
)
def test_help_screens_have_chinese_headings_and_aligned_columns(args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("用法：gktool") and "选项：" in out and "显示本说明并退出" in out
    assert not re.search(r"Usage:|Options:|Commands:|Show this message|\[OPTIONS\]|\bTEXT\b|\bFILE\b|default:", out)
    # The descriptions in the option list start at one screen column, Chinese placeholders included.
    section = out.split("选项：\n", 1)[1].split("\n\n", 1)[0]
    starts = {screen_columns(m[1]) for m in re.finditer(r"^(  \S.*?  +)\S", section, re.M)}
    assert len(starts) == 1, section


def test_group_help_lists_commands_under_a_chinese_heading():
    out = run("--help").output
    assert "用法：gktool [选项] 命令 [参数]..." in out
    assert re.search(r"^命令：\n(  \w+ +\S.*\n){4}", out, re.M)


def test_subcommand_usage_line_uses_chinese_placeholders():
    assert run("validate", "-h").output.startswith("用法：gktool validate [选项] 文件...\n")
    assert run("new", "-h").output.startswith("用法：gktool new [选项]\n")


def test_version_is_chinese():
    result = run("--version")
    assert result.exit_code == 0 and re.fullmatch(r"gktool 版本 \S+\n", result.output)
