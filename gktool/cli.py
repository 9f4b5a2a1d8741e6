"""The command line: a thin layer over the library (spec, writer, validate, report)."""

from __future__ import annotations

import datetime
import gc
import re
import sys
import unicodedata
from pathlib import Path

import click
from click.formatting import wrap_text

from .errors import EXIT_FINDINGS, EXIT_INPUT, GkError, worse
from .version import __version__


def _year_in_spec(value: int | None) -> int | None:
    """A --year within the bounds of the format's year type: the spec, not the command line, says 2021–2100."""
    if value is None:
        return None
    from .spec import load_spec

    t = load_spec().types["year"]
    if (t.min is not None and value < t.min) or (t.max is not None and value > t.max):
        raise click.BadParameter(f"{value} 不在 {int(t.min)} 到 {int(t.max)} 之间")
    return value


def _year_option(help_text: str):
    """The --year option of new, collect, serve and report, checked against the spec's year type."""
    return click.option("--year", type=int, callback=lambda ctx, param, value: _year_in_spec(value), help=help_text)


def _fail(message: str, code: int) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


# --- Chinese command-line plumbing -------------------------------------------------------------------------
# click writes its usage errors and help headings in English. The users read Chinese, so every usage error is
# rendered here as one Chinese line (click's English original is left out: a clerk cannot read it), and
# the help screens get Chinese headings and placeholders. Only the group and command classes change: the command
# bodies stay ordinary click.

_HEADINGS = {
    "Usage": "用法",
    "Options": "选项",
    "Commands": "命令",
    "Arguments": "参数",
    "Positional arguments": "参数",
}
# Placeholders click derives from types and parameter names, as they appear in usage lines and option lists.
_METAVARS = [
    ("COMMAND [ARGS]...", "命令 [参数]..."),
    ("[OPTIONS]", "[选项]"),
    ("INTEGER RANGE", "整数"),
    ("FLOAT RANGE", "数"),
    ("FILES...", "文件..."),
    ("FILE", "文件"),
    ("PATH", "路径"),
    ("DIRECTORY", "文件夹"),
    ("INTEGER", "整数"),
    ("FLOAT", "数"),
    ("TEXT", "文字"),
    ("BOOLEAN", "是/否"),
]


def _has_chinese(text: str) -> bool:
    # a plain scan: the one-class regex of this range takes longer to compile than many runs of this take
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _zh_metavars(text: str) -> str:
    """Replaces click's English placeholders (FILE, TEXT, [OPTIONS] …) with Chinese ones."""
    for en, zh in _METAVARS:
        text = re.sub(rf"(?<![\w-]){re.escape(en)}(?![\w.])" if en[-1].isalnum() else re.escape(en), zh, text)
    return text


def _zh_extra(text: str) -> str:
    """Translates the bracketed extras click appends to option help: default, required, ranges."""
    text = text.replace("[default: ", "[默认：").replace("; default: ", "；默认：").replace("[required]", "[必填]")
    return re.sub(r"(-?\d+(?:\.\d+)?)<=x<=(-?\d+(?:\.\d+)?)", r"\1–\2", text)


def _columns(text: str) -> int:
    """Screen columns a string takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class _HelpFormatter(click.HelpFormatter):
    """click's help layout with Chinese headings, placeholders and extras."""

    def write_usage(self, prog, args="", prefix=None):
        super().write_usage(prog, _zh_metavars(args), "用法：" if prefix is None else prefix)

    def write_heading(self, heading):
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows, col_max=30, col_spacing=2):
        # click's own layout, but measured in screen columns: a Chinese character is two columns wide.
        rows = [(_zh_metavars(a), _zh_extra(b)) for a, b in rows]
        first_col = min(max((_columns(a) for a, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for first, second in rows:
            self.write(f"{indent}{first}")
            if not second:
                self.write("\n")
                continue
            if _columns(first) <= first_col - col_spacing:
                self.write(" " * (first_col - _columns(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_text(second, max(self.width - first_col - 2, 10), preserve_paragraphs=True).splitlines() or [
                ""
            ]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class _Context(click.Context):
    formatter_class = _HelpFormatter


def _quoted(name: str) -> str:
    """A parameter name as click quotes it ('--year', 'FILES...'), unquoted and with Chinese placeholders."""
    return _zh_metavars(name.replace("'", "").replace('"', ""))


def _range_zh(value: str, bounds: str) -> str:
    """'2020' and '2021<=x<=2100' → '2020 不在 2021 到 2100 之间'."""
    m = re.fullmatch(r"(\S+?)(<=?)x(<=?)(\S+)", bounds)
    if m:
        return f"{value} 不在 {m[1]} 到 {m[4]} 之间"
    m = re.fullmatch(r"x(>=?)(\S+)", bounds)
    if m:
        return f"{value} 应{'不小于' if m[1] == '>=' else '大于'} {m[2]}"
    m = re.fullmatch(r"x(<=?)(\S+)", bounds)
    if m:
        return f"{value} 应{'不大于' if m[1] == '<=' else '小于'} {m[2]}"
    return f"{value} 超出允许的范围 {bounds}"


_KIND_ZH = {
    "integer": "整数",
    "float": "数",
    "boolean": "是/否",
    "uuid": "UUID",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
}


def _value_zh(message: str, param) -> str:
    """The Chinese meaning of the reason click gives for a bad value ('abc' is not a valid integer. …)."""
    if m := re.fullmatch(r"'?(.*?)'? is not in the range (\S+)\.", message):
        return _range_zh(m[1], m[2])
    if m := re.fullmatch(r"'(.*)' is not a valid (\w+)( range)?\.", message):
        return f"“{m[1]}” 不是{_KIND_ZH.get(m[2], m[2])}"
    if m := re.fullmatch(r"'(.*)' is not (?:one of )?(.*)\.", message, re.S):
        choices = getattr(getattr(param, "type", None), "choices", None)
        allowed = "、".join(map(str, choices)) if choices else m[2].replace("'", "")
        return f"“{m[1]}” 不是可选的值（可选：{allowed}）"
    if m := re.fullmatch(
        r"(File|Directory|Path) '(.*)' (does not exist|is a file|is a directory|"
        r"is not readable|is not writable|is not executable)\.",
        message,
    ):
        what = {
            "does not exist": "不存在",
            "is a file": "是文件，这里要的是文件夹",
            "is a directory": "是文件夹，这里要的是文件",
            "is not readable": "没有读取权限",
            "is not writable": "没有写入权限",
            "is not executable": "不能执行",
        }[m[3]]
        return f"{_KIND_ZH[m[1].lower()]}“{m[2]}”{what}"
    if _has_chinese(message):
        return message  # our own callbacks and types already speak Chinese
    return "值不对"


def _usage_zh(exc: click.UsageError) -> str:
    """The Chinese meaning of one click usage error (without the English original)."""
    ctx, message = exc.ctx, exc.message
    commands = "、".join(ctx.command.list_commands(ctx)) if ctx and isinstance(ctx.command, click.Group) else ""
    if isinstance(exc, click.MissingParameter):
        param = exc.param
        kind = exc.param_type or (param.param_type_name if param else "parameter")
        hint = exc.param_hint or (param.get_error_hint(ctx) if param else "")
        hint = _quoted(hint if isinstance(hint, str) else " / ".join(hint))
        return f"缺少{'选项' if kind == 'option' else '参数'} {hint}".rstrip()
    if isinstance(exc, click.BadParameter):
        hint = exc.param_hint or (exc.param.get_error_hint(ctx) if exc.param else "")
        hint = _quoted(hint if isinstance(hint, str) else " / ".join(hint))
        return f"{hint + ' ' if hint else ''}的值不对：{_value_zh(message, exc.param)}"
    if isinstance(exc, click.NoSuchOption):
        maybe = f"；是不是要用 {'、'.join(exc.possibilities)}？" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{maybe}"
    if m := re.fullmatch(r"No such command '(.*)'\.", message):
        maybe = getattr(exc, "possibilities", None)
        maybe = f"是不是要用 {'、'.join(maybe)}？" if maybe else ""
        return f"没有命令 {m[1]}；{maybe}可用的命令：{commands}"
    if message.startswith("Missing command"):
        return f"缺少命令；可用的命令：{commands}"
    if m := re.fullmatch(r"Got unexpected extra arguments? \((.*)\)", message):
        return f"多余的参数：{m[1]}（文件名中有空格时请加引号）"
    if m := re.fullmatch(r"Option '(.*)' requires (?:an argument|(\d+) arguments)\.", message):
        return f"选项 {m[1]} 后面要写{m[2] or '一'}个值"
    if m := re.fullmatch(r"Option '(.*)' does not take a value\.", message):
        return f"选项 {m[1]} 后面不能写值"
    if m := re.fullmatch(r"Argument '(.*)' takes (\d+) values\.", message):
        return f"参数 {_zh_metavars(m[1])} 要写 {m[2]} 个值"
    if _has_chinese(message):
        return message
    return "命令行写得不对"


class _ChineseUsageError(click.UsageError):
    """A click usage error shown as one Chinese line (without click's English), same exit code."""

    def __init__(self, original: click.UsageError, command_path: str | None = None):
        super().__init__(original.format_message(), original.ctx)
        self.original = original
        self.exit_code = original.exit_code
        # click's parser leaves ctx unset for some errors (an option without its value); the group knows the command.
        self.command_path = original.ctx.command_path if original.ctx is not None else command_path

    def format_message(self) -> str:
        zh = _usage_zh(self.original)
        stop = "" if zh.endswith(("。", "？", "！")) else "。"
        hint = f"运行“{self.command_path} -h”查看用法。" if self.command_path else ""
        return f"{zh}{stop}{hint}"

    def show(self, file=None) -> None:
        click.echo(f"用法错误：{self.format_message()}", err=True)


def _chinese(exc: click.ClickException, command_path: str | None) -> click.ClickException:
    """Wraps a click error in its Chinese rendering (help-on-no-arguments and already-wrapped pass through)."""
    no_args = getattr(click.exceptions, "NoArgsIsHelpError", ())
    if isinstance(exc, click.UsageError) and not isinstance(exc, (no_args, _ChineseUsageError)):
        return _ChineseUsageError(exc, command_path)
    return exc


class _ChineseHelp:
    """Mix-in for the group and its commands: Chinese help screens and help option."""

    context_class = _Context

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本说明并退出"
        return option


class _Command(_ChineseHelp, click.Command):
    """A command with Chinese help (its usage errors are rendered by the group)."""


class _Group(_ChineseHelp, click.Group):
    """Turns GkError into one clean line and its exit code, and click's usage errors into Chinese (exit 2)."""

    command_class = _Command

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as exc:
            raise _chinese(exc, None) from None

    def invoke(self, ctx):
        # Everything imported so far (the library, click, the commands) lives until the process ends: frozen, the
        # garbage collector stops walking it on every collection and at exit (a tenth of a one-file check's time).
        gc.freeze()
        try:
            return super().invoke(ctx)
        except GkError as exc:
            _fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            _fail("已中断", 130)
        except click.ClickException as exc:
            path = " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))
            raise _chinese(exc, path) from None


@click.group(name="gktool", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="gktool", message="%(prog)s 版本 %(version)s", help="显示版本号并退出"
)
def main():
    """政府信息公开工作年度报告工具：生成填报工作簿、校验、生成 Word 报告。"""


# Options several commands share, declared once (the way sqlite-utils bundles its recurring options).
jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(1, 64), default=None, help="并行进程数（默认：CPU 核数）"
)


def text_or_json_option(help_text: str):
    """--format text|json: Chinese text for a person, or one JSON line per file."""
    return click.option(
        "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help=help_text
    )


def previous_dir_option(help_text: str):
    """--previous-dir DIR: last year's reports, matched to each file by unit and year."""
    return click.option(
        "--previous-dir", "previous_dir", type=click.Path(file_okay=False), default=None, help=help_text
    )


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="输出文件名（默认：{单位}{年度}年政府信息公开工作年度报告.xlsx）",
)
@click.option("--unit", help="单位名称，如：中宁县")
@_year_option("报告年度（默认：上一年）")
@click.option("--password", help="工作表保护密码（可选；仅防误改，不是加密）")
@click.option("--fill", "fill", type=click.Path(dir_okay=False), help="用 JSON 文件预填数据（见 README）")
@click.option("--format", "format_name", default="national-2021", show_default=True, help="报告格式")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@click.option(
    "--previous",
    "previous",
    type=click.Path(dir_okay=False),
    default=None,
    help="上年的报告：填入上年结转、单位和联系方式，“校验”表同时与上年的数字比较",
)
def new(output, unit, year, password, fill, format_name, force, previous):
    """生成一个锁定的填报工作簿（官方表格格式，只有浅黄色单元格可填写）。

    加 --previous 上年报告：填入二、上年结转（逐列取上年的结转下年度继续办理）、单位名称、网站和联系方式，
    文字说明留空；上年的数字保存在隐藏的“上年数据”表中，“校验”表随填随查上年结转和现行有效件数。

    示例：gktool new --unit 中宁县 --year 2023
    """
    from .spec import load_spec
    from .writers.workbook import default_filename, new_workbook

    if output and Path(output).suffix.lower() != ".xlsx":
        raise GkError(f"输出文件“{output}”的扩展名应为 .xlsx（工作簿只能保存为 .xlsx 格式）")
    spec = load_spec(format_name)
    values = {}
    last = None
    if previous:
        from .checks.crossyear import identity_problem
        from .filldata import prefill
        from .validate import read_previous

        last = read_previous(previous, format_name)
        values = prefill(spec, last)
    if fill:
        from .filldata import load_fill

        values.update(load_fill(spec, fill))
    unit_cell, year_cell = spec.field_cells["unit"], spec.field_cells["year"]
    unit = unit or values.get((unit_cell.sheet, unit_cell.cell)) or None
    year = (
        year
        or values.get((year_cell.sheet, year_cell.cell))
        or (last.year + 1 if last is not None and last.year else datetime.date.today().year - 1)
    )
    if last is not None and (problem := identity_problem(unit, year, last)):
        raise GkError(problem)
    path = Path(output) if output else Path(default_filename(unit, year))
    new_workbook(spec, path, unit=unit, year=year, password=password, values=values, force=force, previous=last)
    click.echo(f"已生成：{path}")


@main.command()
@click.argument("files", nargs=-1, required=True)
@text_or_json_option("输出格式：text（中文说明）或 json（每个文件一行）")
@jobs_option
@click.option(
    "--spec",
    "format_name",
    default=None,
    help="按指定的报告格式检查（格式名称或 .toml 格式定义文件；默认按工作簿记录的格式）",
)
@click.option(
    "--previous",
    "previous",
    type=click.Path(dir_okay=False),
    default=None,
    help="上年的报告（任何可读取的工作簿或报告），做跨年度检查（Y1–Y6）",
)
@previous_dir_option("上年报告所在的文件夹：按单位和年度为每个文件找到上年的报告，做跨年度检查")
def validate(files, fmt, jobs, format_name, previous, previous_dir):
    """检查填好的工作簿或已发布的报告：结构、数据类型、勾稽关系、文字与表格是否一致。

    可以给多个文件或文件夹（检查其中所有文件，包括子文件夹；读不了的文件也各有一行结论）。
    读取 gktool 工作簿、其他 .xlsx/.xls/.ods/.xlsb 工作簿（按标签找到官方表格），
    以及已发布的报告（.docx、保存的网页 .html、有文字层的 .pdf）。
    退出码：0 没有错误；1 有错误；2 有文件无法读取；3 没有错误但 gktool 未能读出部分数字（未能完整读取）。

    加 --previous 上年报告（或 --previous-dir 上年文件夹）时，再与上年的报告比较：上年结转、现行有效件数、
    照抄上年的文字、数字大幅变化等（规则 Y0–Y6）。

    示例：gktool validate 中宁县2023年政府信息公开工作年度报告.xlsx --previous 中宁县2022年政府信息公开工作年度报告.xlsx
    """
    from .findings import render_text
    from .validate import expand_paths, index_previous, read_previous, validate_files

    if previous and previous_dir:
        raise GkError(
            "--previous 和 --previous-dir 只能用一个：一个文件用 --previous，文件夹用 --previous-dir", EXIT_INPUT
        )
    paths = expand_paths(files)
    if previous:
        read_previous(previous, format_name)  # an unreadable previous report is one error, before any check
    elif previous_dir:
        previous = index_previous(previous_dir, jobs, format_name)
    color = fmt == "text" and sys.stdout.isatty()
    worst = 0
    passed, failed, unreadable, partial = 0, [], [], []
    for result in validate_files(paths, jobs, format_name, previous):
        if fmt == "json":
            click.echo(result.to_json())
        else:
            click.echo(render_text(result, color=color))
        if result.unreadable:
            unreadable.append(result.file)
        elif result.ok:
            passed += 1
        elif result.verdict == "未能完整读取":
            partial.append(result.file)
        else:
            failed.append(result.file)
        worst = worse(worst, result.exit_code)
    if fmt == "text" and len(paths) > 1:
        click.echo(summary_line(len(paths), passed, failed, unreadable, partial))
    sys.exit(worst)


def summary_line(total: int, passed: int, failed: list[str], unreadable: list[str], partial=()) -> str:
    """The closing line of a batch: counts, and the names of the files that need action."""

    def names(files):
        shown = "、".join(Path(f).name for f in files[:10])
        return shown + (f" 等 {len(files)} 个" if len(files) > 10 else "")

    parts = [f"共检查 {total} 个文件：{passed} 个通过"]
    parts.append(f"{len(failed)} 个有错误" + (f"（{names(failed)}）" if failed else ""))
    parts.append(f"{len(unreadable)} 个无法读取" + (f"（{names(unreadable)}）" if unreadable else ""))
    if partial:  # only said when it happens: most batches never have one
        parts.append(f"{len(partial)} 个未能完整读取（{names(list(partial))}）")
    return "，".join(parts) + "。"


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="输出格式：json（每个文件一行）或 csv（每个数值一行，UTF-8 带 BOM，Excel 可直接打开）",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写入文件（默认输出到屏幕）")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
@jobs_option
@click.option("--spec", "format_name", default=None, help="按指定的报告格式读取（格式名称或 .toml 格式定义文件）")
def extract(files, fmt, output, force, jobs, format_name):
    """读出每个文件中三张表格的全部数字（按官方行列标签），用于数据整理和核对读取结果。

    JSON 每个文件一行：file、ok、kind、format、unit、year、values（table、row、column、value、printed、at）、findings。
    退出码：0 全部读出；2 有文件无法读取。

    示例：gktool extract 报告/ --format csv -o 数据.csv
    """
    from .extract import CSV_FIELDS, extract_files
    from .validate import expand_paths

    paths = expand_paths(files)
    chunks = (
        ["\ufeff" + ",".join(CSV_FIELDS) + "\r\n" if output else ",".join(CSV_FIELDS) + "\r\n"] if fmt == "csv" else []
    )
    if not output:
        for text in chunks:
            click.echo(text, nl=False)
    worst = 0
    for text, unreadable in extract_files(paths, fmt, jobs, format_name):
        worst = max(worst, EXIT_INPUT if unreadable else 0)
        if output:
            chunks.append(text)
        else:
            click.echo(text, nl=False)
    if output:
        from .fsutil import atomic_output

        with atomic_output(Path(output), force=force) as tmp:
            tmp.write_text("".join(chunks), encoding="utf-8", newline="")
        click.echo(f"已写出：{output}", err=True)
    sys.exit(worst)


@main.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True), metavar="文件夹...")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="汇总工作簿（.xlsx）")
@click.option(
    "--roster",
    type=click.Path(dir_okay=False),
    help="应提交单位名单：.xlsx/.xls/.ods（一列单位名称）或 .txt（每行一个）",
)
@_year_option("汇总年度（默认：多数文件的年度）")
@click.option("--unit", default="各单位汇总", show_default=True, help="汇总工作簿封面上的单位名称，如：中宁县")
@click.option(
    "--cover",
    "cover_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="汇总工作簿封面的联系方式（网站、地址、电话等）取自这份报告，如本机关自己的填报工作簿",
)
@click.option("--include-failing", is_flag=True, help="有错误的单位也纳入汇总（默认只汇总没有错误的）")
@click.option(
    "--include-unlisted", is_flag=True, help="不在名单中的单位也纳入汇总（默认有 --roster 时只汇总名单中的单位）"
)
@previous_dir_option("上年报告所在的文件夹：每个单位再与自己上年的报告比较（同 validate --previous-dir）")
@text_or_json_option("输出格式：text（中文摘要）或 json（每个文件一行，同 validate；最后一行为汇总）")
@jobs_option
@click.option(
    "--annotate",
    "annotate_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="把每个有问题的单位的检查意见（标在其工作簿单元格上的副本）写入这个文件夹",
)
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def collect(
    folders,
    output,
    roster,
    year,
    unit,
    cover_file,
    include_failing,
    include_unlisted,
    previous_dir,
    fmt,
    jobs,
    annotate_dir,
    force,
):
    """汇总各单位报送的年度报告：逐个检查、对照名单、相加三张表格，写成一个工作簿。

    工作簿含“状态”（每个单位一行：结论、错误和警告数、前三条问题，需要处理的排在前面）、
    汇总表（官方格式的 gktool 工作簿，可再用 validate 检查、用 report 生成汇总报告）和“明细”
    （每个单位每个数字一行，带来源单元格，可做数据透视表）。
    退出码：0 全部通过；1 有文件有错误；2 有文件无法读取或用法错误；3 没有错误但有文件未能完整读取。

    示例：gktool collect 收到的报告/ -o 汇总.xlsx --roster 名单.xlsx
    """
    import json

    from .collect import collect_to

    bar = None
    worst = 0

    def start(total: int) -> None:
        nonlocal bar
        if sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=total, file=sys.stderr, unit="个", desc="检查", leave=False, dynamic_ncols=True)

    def seen(analysis, sub):
        nonlocal worst
        result = analysis.result
        worst = worse(worst, result.exit_code)
        if fmt == "json":
            click.echo(result.to_json())
        if bar is not None:
            bar.update(1)

    try:
        run = collect_to(
            folders,
            output,
            roster=roster,
            year=year,
            unit=unit,
            cover_file=cover_file,
            include_failing=include_failing,
            include_unlisted=include_unlisted,
            previous_dir=previous_dir,
            jobs=jobs,
            annotate_dir=annotate_dir,
            force=force,
            on_file=seen,
            on_start=start,
        )
    finally:
        if bar is not None:
            bar.close()
    if run.detail_csv is not None:
        click.echo(
            f"注意：明细超过 Excel 工作表的行数上限，已写在 {run.detail_csv}（UTF-8 CSV，封面已注明）。", err=True
        )
    if not run.has_cover:
        click.echo(
            "注意：汇总工作簿封面的联系方式（网站、地址、电话）未填写，生成报告前请在封面填写，"
            "或加 --cover 本机关的填报工作簿，从中取用。",
            err=True,
        )
    if not run.readable:
        click.echo(
            "注意：汇总工作簿超出了 gktool 读取的大小上限，validate 和 report 将无法读取它；需要汇总报告时请分批汇总。",
            err=True,
        )
    if run.annotated is not None:
        for line in run.annotated.failed:
            click.echo(f"注意：{line}", err=True)
        click.echo(
            f"检查意见：{len(run.annotated.written)} 个有问题的文件已写出标注副本，在 {run.annotated.folder}", err=True
        )
    if fmt == "json":
        click.echo(json.dumps({"summary": collect_summary(run.collection, output)}, ensure_ascii=False))
    else:
        click.echo(collect_text(run.collection, output))
    sys.exit(worst)


def collect_summary(collection, output) -> dict:
    """The closing JSON object of `collect`: counts, the year, and the rows needing action."""
    from .collection import MATCH_CLOSE

    counts = collection.counts()

    def files(pred):
        return [s.path for s in collection.rows() if s.path is not None and pred(s)]

    return {
        "output": str(output),
        "year": collection.year,
        "files": counts["文件"],
        "passed": counts["通过"],
        "warnings": counts["有警告"],
        "failed": counts["不通过"],
        "unreadable": counts["无法读取"],
        "included": counts["纳入汇总"],
        "missing": [s.roster for s in collection.rows() if s.path is None],
        "duplicates": files(lambda s: any(n.startswith("重复提交") for n in s.notes)),
        "wrong_year": files(lambda s: any(n.startswith("年度不符") for n in s.notes)),
        "not_on_roster": files(lambda s: any(n.startswith("不在名单") for n in s.notes)),
        "to_confirm": [
            {"file": s.path, "unit": s.unit, "roster": s.roster}
            for s in collection.rows()
            if s.path is not None and s.match == MATCH_CLOSE
        ],
    }


def collect_text(collection, output) -> str:
    """The closing lines of `collect` for a person: counts, then each row that needs action."""
    c = collection.counts()
    lines = [
        f"已写出：{output}（{f'{collection.year}年，' if collection.year else '年度未能确定，'}纳入汇总 {c['纳入汇总']} 个单位）",
        f"共 {c['文件']} 个文件：{c['通过']} 个通过，{c['有警告']} 个有警告，{c['不通过']} 个不通过，"
        f"{c['无法读取']} 个无法读取"
        + (f"，{c['未能完整读取']} 个未能完整读取（未纳入汇总）" if c["未能完整读取"] else "")
        + (f"；名单中 {c['未提交']} 个单位未提交" if collection.roster is not None else "")
        + "。",
    ]
    for s in collection.rows():
        if s.verdict in ("通过", "有警告") and not s.notes:
            continue
        where = Path(s.path).name if s.path else "（没有文件）"
        detail = "；".join(s.notes) or (s.messages[0] if s.messages else "")
        lines.append(f"  [{s.verdict}] {s.name} {where}" + (f"：{detail}" if detail else ""))
    return "\n".join(lines)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="输出 .xlsx（默认：原文件旁边，文件名加“（检查意见）”）"
)
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
@click.option("--spec", "format_name", default=None, help="按指定的报告格式读取（格式名称或 .toml 格式定义文件）")
def annotate(file, output, force, format_name):
    """把检查结果标在单位自己的工作簿上：问题单元格标红（错误）或标橙（警告）并加批注，另加“检查意见”表。

    原文件不改动，写出的是一份副本。.xls、.ods、.xlsb、Word、网页、PDF 不能加批注，改为写出逐条列出问题及其位置的检查意见工作簿。
    退出码：0 没有错误；1 发现错误；2 文件无法读取或用法错误。

    示例：gktool annotate 某县2023年报告.xlsx
    """
    from .annotate import annotate_file

    done = annotate_file(file, output, force, format_name)
    click.echo(done.describe())
    sys.exit(EXIT_FINDINGS if done.result.errors else 0)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="输出文件：.docx（Word）、.html（网页）或 .pdf（PDF，需要 LibreOffice），按扩展名决定格式"
    "（默认：工作簿旁边，{单位}{年度}年政府信息公开工作年度报告.docx）",
)
@click.option("--all", "all_formats", is_flag=True, help="同时写出 Word、网页和 PDF 三个文件（并排，文件名相同）")
@click.option("--force", is_flag=True, help="覆盖已存在的报告文件")
@click.option("--draft", is_flag=True, help="工作簿有错误也生成报告，每页页眉标明“草稿——未通过校验”，不得发布")
@click.option(
    "--previous",
    "previous",
    type=click.Path(dir_okay=False),
    default=None,
    help="上年的报告：先做跨年度检查，自动生成的段落加上与上年比较的数字",
)
@click.option("--unit", help="单位名称：文件中读不出单位时使用，如：中宁县")
@_year_option("报告年度：文件中读不出年度时使用")
def report(file, output, all_formats, force, draft, previous, unit, year):
    """根据填好的工作簿生成年度报告：Word、网页或 PDF（先校验，有错误时拒绝生成）。

    每个写出的文件都先用 gktool 自己的读取器读回，三张表格的每个数字、单位和年度与工作簿完全一致、
    检查结论相同才保留；不一致时不留下文件，并列出不一致的单元格（退出码 3）。
    单位和年度取自文件中读出的；读不出时用 --unit、--year 指定。

    加 --previous 上年报告：同时做跨年度检查（Y1 等错误同样拒绝生成），自动生成的依申请公开、主动公开段落
    加上与上年比较的数字（如“较上年增加6件、增长27.3%”）；上年缺少的数字不写。

    示例：gktool report 中宁县2023年政府信息公开工作年度报告.xlsx -o 报告.html；加 --all 同时写出三种格式
    """
    from .findings import render_text
    from .publish import report_from_file

    paths, analysis = report_from_file(
        file,
        output,
        all_formats=all_formats,
        force=force,
        draft=draft,
        previous=previous,
        unit=unit,
        year=year,
        show=lambda result: click.echo(render_text(result), err=True) if result.findings else None,
    )
    if analysis.result.errors:
        click.echo(
            f"注意：工作簿有 {analysis.result.errors} 个错误，按 --draft 生成的是草稿（每页页眉标明“草稿——未通过校验”），"
            "改正后请重新生成再发布。",
            err=True,
        )
    for p in paths:
        click.echo(f"已生成：{p}")


@main.command()
@click.option(
    "--roster",
    required=True,
    type=click.Path(dir_okay=False),
    help="单位名单：文本文件（每行一个单位）或工作簿（单位名称一列）",
)
@click.option(
    "--data", required=True, type=click.Path(file_okay=False), help="数据目录：保存提交的文件、数据库和 links.csv"
)
@_year_option("报告年度（默认：上一年）")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="监听地址（默认只接受本机访问；经反向代理对外提供）"
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="监听端口")
@click.option("--url", help="对外地址，写入 links.csv（经反向代理时填写，如 https://gk.example.gov.cn/baosong/）")
@click.option("--workers", type=click.IntRange(1, 32), default=None, help="检查文件的进程数（默认：CPU 核数，最多 4）")
def serve(roster, data, year, host, port, url, workers):
    """启动报送网站：各单位用浏览器上传年度报告并立即看到检查结果，管理页面查看报送情况、下载汇总。

    启动时在数据目录中写出 links.csv（每个单位一个专用链接，另有“管理”一行是管理页面链接）。

    示例：gktool serve --roster 名单.txt --data 报送数据 --year 2024
    """
    from .serve import serve as run

    if url and not url.lower().startswith(("http://", "https://")):
        raise GkError(f"--url 应以 http:// 或 https:// 开头，如 https://gk.example.gov.cn/baosong/（收到：{url}）")
    run(
        roster,
        data,
        year or datetime.date.today().year - 1,
        host,
        port,
        url,
        workers,
        echo=lambda line: click.echo(line),
    )


@main.command()
@click.option("--markdown", is_flag=True, help="输出 Markdown 表格（用于 README）")
def rules(markdown):
    """列出全部检查规则（编号、类别、级别、内容）。"""
    from .checks.catalogue import catalogue, catalogue_markdown
    from .findings import SEVERITY_ZH
    from .spec import load_spec

    spec = load_spec()
    if markdown:
        click.echo(catalogue_markdown(spec))
        return
    for r in catalogue(spec):
        click.echo(f"{r.id}\t{r.topic}\t{SEVERITY_ZH[r.severity]}\t{r.title}")


if __name__ == "__main__":
    main()
