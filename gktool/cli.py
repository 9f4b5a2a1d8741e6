"""The command line: a thin layer over the library (spec, writer, validate, report)."""
from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from . import __version__
from .errors import EXIT_FINDINGS, EXIT_INPUT, GkError


def _fail(message: str, code: int) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns GkError into one clean line and its exit code; usage errors exit 2 (click's default)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GkError as exc:
            _fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            _fail("已中断", 130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gktool")
def main():
    """政府信息公开工作年度报告工具：生成填报工作簿、校验、生成 Word 报告。"""


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="输出文件名（默认：{单位}{年度}年政府信息公开工作年度报告.xlsx）")
@click.option("--unit", help="单位名称，如：中宁县")
@click.option("--year", type=click.IntRange(2021, 2100), help="报告年度（默认：上一年）")
@click.option("--password", help="工作表保护密码（可选；仅防误改，不是加密）")
@click.option("--fill", "fill", type=click.Path(dir_okay=False), help="用 JSON 文件预填数据（见 README）")
@click.option("--format", "format_name", default="national-2021", show_default=True, help="报告格式")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
def new(output, unit, year, password, fill, format_name, force):
    """生成一个锁定的填报工作簿（官方表格格式，只有浅黄色单元格可填写）。

    Example: gktool new --unit 中宁县 --year 2023
    """
    from .spec import load_spec
    from .writer import default_filename, new_workbook

    spec = load_spec(format_name)
    values = {}
    if fill:
        from .filldata import load_fill
        values = load_fill(spec, fill)
    unit_cell, year_cell = spec.field_cells["unit"], spec.field_cells["year"]
    unit = unit or values.get((unit_cell.sheet, unit_cell.cell)) or None
    year = year or values.get((year_cell.sheet, year_cell.cell)) or datetime.date.today().year - 1
    path = Path(output) if output else Path(default_filename(unit, year))
    new_workbook(spec, path, unit=unit, year=year, password=password, values=values, force=force)
    click.echo(f"已生成：{path}")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text（中文说明）或 json（每个文件一行）")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="并行进程数（默认：CPU 核数）")
@click.option("--spec", "format_name", default=None, help="按指定的报告格式检查（格式名称或 .toml 格式定义文件；默认按工作簿记录的格式）")
def validate(files, fmt, jobs, format_name):
    """检查填好的工作簿或已发布的报告：结构、数据类型、勾稽关系、文字与表格是否一致。

    可以给多个文件或文件夹（检查其中所有文件，包括子文件夹；读不了的文件也各有一行结论）。
    读取 gktool 工作簿、其他 .xlsx/.xls/.ods/.xlsb 工作簿（按标签找到官方表格）。
    退出码：0 没有错误；1 有错误；2 有文件无法读取。

    Example: gktool validate 中宁县2023年政府信息公开工作年度报告.xlsx
    """
    from .findings import render_text
    from .validate import expand_paths, validate_files

    paths = expand_paths(files)
    color = fmt == "text" and sys.stdout.isatty()
    worst = 0
    passed, failed, unreadable = 0, [], []
    for result in validate_files(paths, jobs, format_name):
        if fmt == "json":
            click.echo(result.to_json())
        else:
            click.echo(render_text(result, color=color))
        if result.unreadable:
            unreadable.append(result.file)
        elif result.ok:
            passed += 1
        else:
            failed.append(result.file)
        worst = max(worst, EXIT_INPUT if result.unreadable else (0 if result.ok else EXIT_FINDINGS))
    if fmt == "text" and len(paths) > 1:
        click.echo(summary_line(len(paths), passed, failed, unreadable))
    sys.exit(worst)


def summary_line(total: int, passed: int, failed: list[str], unreadable: list[str]) -> str:
    """The closing line of a batch: counts, and the names of the files that need action."""
    def names(files):
        shown = "、".join(Path(f).name for f in files[:10])
        return shown + (f" 等 {len(files)} 个" if len(files) > 10 else "")
    parts = [f"共检查 {total} 个文件：{passed} 个通过"]
    parts.append(f"{len(failed)} 个有错误" + (f"（{names(failed)}）" if failed else ""))
    parts.append(f"{len(unreadable)} 个无法读取" + (f"（{names(unreadable)}）" if unreadable else ""))
    return "，".join(parts) + "。"


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="输出格式：json（每个文件一行）或 csv（每个数值一行，UTF-8 带 BOM，Excel 可直接打开）")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写入文件（默认输出到屏幕）")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="并行进程数（默认：CPU 核数）")
@click.option("--spec", "format_name", default=None, help="按指定的报告格式读取（格式名称或 .toml 格式定义文件）")
def extract(files, fmt, output, force, jobs, format_name):
    """读出每个文件中三张表格的全部数字（按官方行列标签），用于数据整理和核对读取结果。

    JSON 每个文件一行：file、ok、kind、format、unit、year、values（table、row、column、value、printed、at）、findings。
    退出码：0 全部读出；2 有文件无法读取。

    Example: gktool extract 报告/ --format csv -o 数据.csv
    """
    from .extract import csv_rows, csv_text, to_json_line
    from .validate import check_files, expand_paths

    paths = expand_paths(files)
    chunks = []
    worst = 0
    first = True
    for analysis in check_files(paths, jobs, format_name):
        worst = max(worst, EXIT_INPUT if analysis.result.unreadable else 0)
        if fmt == "json":
            text = to_json_line(analysis) + "\n"
        else:
            text = ("\ufeff" if first and output else "") + csv_text(csv_rows(analysis), header=first)
        first = False
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
@click.argument("folders", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="汇总工作簿（.xlsx）")
@click.option("--roster", type=click.Path(dir_okay=False), help="应提交单位名单：.xlsx/.xls/.ods（一列单位名称）或 .txt（每行一个）")
@click.option("--year", type=click.IntRange(2021, 2100), help="汇总年度（默认：多数文件的年度）")
@click.option("--unit", default="各单位汇总", show_default=True, help="汇总工作簿封面上的单位名称，如：中宁县")
@click.option("--include-failing", is_flag=True, help="有错误的单位也纳入汇总（默认只汇总没有错误的）")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text（中文摘要）或 json（每个文件一行，同 validate；最后一行为汇总）")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="并行进程数（默认：CPU 核数）")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
def collect(folders, output, roster, year, unit, include_failing, fmt, jobs, force):
    """汇总各单位报送的年度报告：逐个检查、对照名单、相加三张表格，写成一个工作簿。

    工作簿含“状态”（每个单位一行：结论、错误和警告数、前三条问题，需要处理的排在前面）、
    汇总表（官方格式的 gktool 工作簿，可再用 validate 检查、用 report 生成汇总报告）和“明细”
    （每个单位每个数字一行，带来源单元格，可做数据透视表）。
    退出码：0 全部通过；1 有文件有错误；2 有文件无法读取或用法错误。

    Example: gktool collect 收到的报告/ -o 汇总.xlsx --roster 名单.xlsx
    """
    import json

    from .collect import collect_files, read_roster
    from .fsutil import check_target
    from .summary import write_summary
    from .validate import expand_paths

    check_target(Path(output), force)          # a bad output path is said before an hour of reading
    roster_list = read_roster(roster) if roster else None
    paths = expand_paths(folders)
    out = Path(output).resolve()
    paths = [p for p in paths if Path(p).resolve() != out]     # last run's summary is not a submission
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(total=len(paths), file=sys.stderr, unit="个", desc="检查", leave=False, dynamic_ncols=True)
    worst = 0

    def seen(analysis, sub):
        nonlocal worst
        result = analysis.result
        worst = max(worst, EXIT_INPUT if result.unreadable else (0 if result.ok else EXIT_FINDINGS))
        if fmt == "json":
            click.echo(result.to_json())
        if bar is not None:
            bar.update(1)

    try:
        collection = collect_files(paths, roster=roster_list, year=year, jobs=jobs,
                                   include_failing=include_failing, on_file=seen)
    finally:
        if bar is not None:
            bar.close()
    with collection:
        write_summary(collection, output, unit=unit, force=force)
        if fmt == "json":
            click.echo(json.dumps({"summary": collect_summary(collection, output)}, ensure_ascii=False))
        else:
            click.echo(collect_text(collection, output))
    sys.exit(worst)


def collect_summary(collection, output) -> dict:
    """The closing JSON object of `collect`: counts, the year, and the rows needing action."""
    counts = collection.counts()
    def files(pred):
        return [s.path for s in collection.rows() if s.path is not None and pred(s)]
    return {"output": str(output), "year": collection.year, "files": counts["文件"],
            "passed": counts["通过"], "warnings": counts["有警告"], "failed": counts["不通过"],
            "unreadable": counts["无法读取"], "included": counts["纳入汇总"],
            "missing": [s.roster for s in collection.rows() if s.path is None],
            "duplicates": files(lambda s: any(n.startswith("重复提交") for n in s.notes)),
            "wrong_year": files(lambda s: any(n.startswith("年度不符") for n in s.notes)),
            "not_on_roster": files(lambda s: any(n.startswith("不在名单") for n in s.notes)),
            "to_confirm": [{"file": s.path, "unit": s.unit, "roster": s.roster}
                           for s in collection.rows() if s.path is not None and s.match == "近似，请确认"]}


def collect_text(collection, output) -> str:
    """The closing lines of `collect` for a person: counts, then each row that needs action."""
    c = collection.counts()
    lines = [f"已写出：{output}（{collection.year or '年度未知'}年，纳入汇总 {c['纳入汇总']} 个单位）",
             f"共 {c['文件']} 个文件：{c['通过']} 个通过，{c['有警告']} 个有警告，{c['不通过']} 个不通过，"
             f"{c['无法读取']} 个无法读取" + (f"；名单中 {c['未提交']} 个单位未提交" if collection.roster is not None else "") + "。"]
    for s in collection.rows():
        if s.verdict in ("通过", "有警告") and not s.notes:
            continue
        where = Path(s.path).name if s.path else "（没有文件）"
        detail = "；".join(s.notes) or (s.messages[0] if s.messages else "")
        lines.append(f"  [{s.verdict}] {s.name} {where}" + (f"：{detail}" if detail else ""))
    return "\n".join(lines)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="输出 .docx（默认：工作簿旁边，{单位}{年度}年政府信息公开工作年度报告.docx）")
@click.option("--force", is_flag=True, help="有错误也生成；覆盖已存在的文件")
def report(file, output, force):
    """根据填好的工作簿生成 Word 年度报告（先校验，有错误时拒绝生成）。

    Example: gktool report 中宁县2023年政府信息公开工作年度报告.xlsx
    """
    from .findings import render_text
    from .report import default_report_path, write_report
    from .validate import analyse_file

    analysis = analyse_file(file)
    result = analysis.result
    if result.findings:
        click.echo(render_text(result), err=True)
    if analysis.spec is None:
        raise GkError("无法识别工作簿的格式，不能生成报告", EXIT_FINDINGS)
    if result.errors and not force:
        raise GkError(f"工作簿有 {result.errors} 个错误，未生成报告；请改正后重试（或加 --force 强制生成）", EXIT_FINDINGS)
    if result.errors:
        click.echo(f"注意：工作簿有 {result.errors} 个错误，按 --force 仍然生成了报告，发布前务必改正。", err=True)
    path = Path(output) if output else default_report_path(analysis, Path(file))
    write_report(analysis, path, force=force)
    click.echo(f"已生成：{path}")


@main.command()
@click.option("--roster", required=True, type=click.Path(dir_okay=False), help="单位名单：文本文件（每行一个单位）或工作簿（单位名称一列）")
@click.option("--data", required=True, type=click.Path(file_okay=False), help="数据目录：保存提交的文件、数据库和 links.csv")
@click.option("--year", type=click.IntRange(2021, 2100), help="报告年度（默认：上一年）")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（默认只接受本机访问；经反向代理对外提供）")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="监听端口")
@click.option("--url", help="对外地址，写入 links.csv（经反向代理时填写，如 https://gk.example.gov.cn/baosong/）")
@click.option("--workers", type=click.IntRange(1, 32), default=None, help="检查文件的进程数（默认：CPU 核数，最多 4）")
def serve(roster, data, year, host, port, url, workers):
    """启动报送网站：各单位用浏览器上传年度报告并立即看到检查结果，管理页面查看报送情况、下载汇总。

    启动时在数据目录中写出 links.csv（每个单位一个专用链接，另有“管理”一行是管理页面链接）。

    Example: gktool serve --roster 名单.txt --data 报送数据 --year 2024
    """
    from .serve import serve as run

    if url and not url.lower().startswith(("http://", "https://")):
        raise GkError(f"--url 应以 http:// 或 https:// 开头，如 https://gk.example.gov.cn/baosong/（收到：{url}）")
    run(roster, data, year or datetime.date.today().year - 1, host, port, url, workers,
        echo=lambda line: click.echo(line))


@main.command()
@click.option("--markdown", is_flag=True, help="输出 Markdown 表格（用于 README）")
def rules(markdown):
    """列出全部检查规则（编号、类别、级别、内容）。"""
    from .findings import SEVERITY_ZH
    from .rules import catalogue, catalogue_markdown
    from .spec import load_spec

    spec = load_spec()
    if markdown:
        click.echo(catalogue_markdown(spec))
        return
    for r in catalogue(spec):
        click.echo(f"{r.id}\t{r.topic}\t{SEVERITY_ZH[r.severity]}\t{r.title}")


if __name__ == "__main__":
    main()
