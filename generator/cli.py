"""The ``hubdir`` command line: a thin click layer over the pipeline modules.

Every command resolves the project folder, loads the configuration and turns
library errors into messages and exit codes: 0 fine, 1 problems found,
2 usage, configuration or internal error.  No traceback reaches a user.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from generator import __version__
from generator.geography import LEVELS
from generator.i18n import LANGS, t
from generator.problems import RENDERERS, Report, render_text

if TYPE_CHECKING:
    from generator.config import Config

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


@dataclass
class State:
    root_option: Path | None
    lang: str

    def config(self) -> Config:
        # Imported here, inside the command: the heavy imports (jsonschema, yaml) then run where a
        # Ctrl-C is caught and reported in one line, and `hubdir --help` stays quick.
        from generator.config import ConfigError, find_root, load_config

        root = self.root_option or find_root(Path.cwd())
        if root is None:
            fail(t(self.lang, "cli.no_root"))
        try:
            return load_config(root)
        except ConfigError as exc:
            report = Report(problems=exc.problems, files_checked=1)
            click.echo(t(self.lang, exc.heading), err=True)
            click.echo(render_text(report, self.lang), err=True)
            raise SystemExit(EXIT_USAGE) from None


def localised(args: dict[str, Any], lang: str) -> dict[str, Any]:
    """Message arguments in ``lang``: a ``Text`` picks its language, other text is made printable."""
    from generator.problems import Text
    from generator.safetext import printable

    out: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(value, Text):
            out[key] = value.get(lang)  # written by hubdir (may hold its own line breaks)
        else:
            out[key] = printable(value) if isinstance(value, str) else value
    return out


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(code)


lang_option = click.option(
    "--lang", type=click.Choice(LANGS), default=None, envvar="HUBDIR_LANG",
    help="消息语言 / message language (zh, en); 环境变量 / env HUBDIR_LANG."
)


#: Commands that write through a temporary folder swapped in at the end: on Ctrl-C nothing was written.
_ATOMIC_WRITERS = frozenset(("build", "export", "release"))


class HubdirGroup(click.Group):
    """The command group; Ctrl-C becomes one translated line and exit 130 (click would print ``Aborted!``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            import signal

            from generator import interrupt

            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the exit
            interrupt.handled()
            state = ctx.obj if isinstance(ctx.obj, State) else None
            lang = state.lang if state else _argv_lang(None)
            key = "hardening.interrupted" if ctx.invoked_subcommand in _ATOMIC_WRITERS else "cli.interrupted"
            click.echo(t(lang, key), err=True)
            raise SystemExit(130) from None


@click.group(cls=HubdirGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hubdir")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="项目目录（含 site_config.yml）/ project folder holding site_config.yml.")
@lang_option
@click.pass_context
def cli(ctx: click.Context, root: Path | None, lang: str | None) -> None:
    """hubdir：群团组织名录的校验、建站与开放数据工具。

    hubdir validates the registries of a place's mass organizations and
    publishes them as a website and open datasets.
    """
    ctx.obj = State(root, lang or "zh")


def _state(ctx: click.Context, lang: str | None) -> State:
    state: State = ctx.obj
    if lang:
        state.lang = lang
    return state


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@lang_option
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text",
              help="输出格式 / output format: text, github (workflow annotations), json.")
@click.option("--strict", is_flag=True, help="警告也算失败 / treat warnings as errors.")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], lang: str | None, fmt: str, strict: bool) -> None:
    """校验登记册（形状与含义），一次列出全部问题。

    Validate the registries (shape and meaning) and list every problem at once.
    PATHS limits the report to these files or folders; the whole content is
    always loaded so that references can be checked.
    """
    from generator.coverage.render import read_spec
    from generator.validate import load

    state = _state(ctx, lang)
    config = state.config()
    spec, message = read_spec(config, state.lang)
    if spec is None:  # the config's coverage section names a kind that does not exist
        click.echo(message, err=True, nl=False)
        raise SystemExit(EXIT_USAGE)
    loaded = load(config, paths)
    report = loaded.report
    if paths:
        wanted = [p.resolve() for p in paths]
        keep = []
        for problem in report.problems:
            target = (config.root / problem.path).resolve()
            if any(target == w or w in target.parents for w in wanted):
                keep.append(problem)
        report = Report(problems=keep, files_checked=report.files_checked)
    click.echo(RENDERERS[fmt](report, state.lang))
    raise SystemExit(EXIT_PROBLEMS if report.failed(strict) else EXIT_OK)


@cli.command()
@click.option("--level", type=click.Choice(list(LEVELS)), default=None,
              help="只列出这一级的区划 / list divisions of this level only.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table",
              help="输出格式 / output format.")
@click.option("--rows", type=click.Choice(["coverage", "completeness"]), default="coverage",
              help="CSV 输出哪张表 / which table --format csv prints.")
@click.option("--limit", type=click.IntRange(1, 1000), default=None,
              help="列出多少条最不完整的记录 / how many least complete records to list.")
@lang_option
@click.pass_context
def coverage(ctx: click.Context, level: str | None, fmt: str, rows: str, limit: int | None,
             lang: str | None) -> None:
    """覆盖情况：各级应建组织与阵地的空白点，以及记录信息的完整度。

    Coverage: the blank spots in what each level must have (site_config.yml
    `coverage`), per town and overall percentages, and how complete the
    records' details are.  Only active records count.
    """
    from generator.coverage.render import command

    state = _state(ctx, lang)
    out, err, code = command(state.config(), state.lang, level=level, fmt=fmt, rows=rows, limit=limit)
    if out:
        click.echo(out, nl=False)
    if err:
        click.echo(err, nl=False, err=True)
    raise SystemExit(code)


@cli.command("new")
@click.argument("registry")
@click.option("--division", default=None, metavar="CODE",
              help="所在区划代码（新增区划时为它自己的代码）/ division code (for a new division: its own code).")
@click.option("--kind", default=None,
              help="类别：枢纽的 kind、社会组织的 org_type、区划的 type / hub kind, org_type or division type.")
@click.option("--name", "title", default=None, help="名称 / the record's name.")
@lang_option
@click.pass_context
def new_command(ctx: click.Context, registry: str, division: str | None, kind: str | None, title: str | None,
                lang: str | None) -> None:
    """新建一条记录：分配永不重复的编号，列出全部字段。

    Create content/REGISTRY/<id>.yml with a free, never-reused id, the editor
    modeline, every required field and the optional fields as comments, then
    say what is still to fill in.
    """
    from generator import new
    from generator.validate import load

    state = _state(ctx, lang)
    config = state.config()
    try:
        item = new.draft(config, load(config).registry, registry, division=division, kind=kind, title=title)
        new.write(item)
    except new.NewError as exc:
        fail(t(state.lang, exc.key, **localised(exc.args_dict, state.lang)))
    rel = item.path.relative_to(config.root).as_posix()
    click.echo(t(state.lang, "workflow.new.created", path=rel, id=item.id))
    todo = new.problems_for(load(config, [item.path]).report.problems, rel)
    if not todo:
        click.echo(t(state.lang, "workflow.new.valid"))
        return
    click.echo(t(state.lang, "workflow.new.todo", path=rel))
    click.echo(render_text(Report(problems=todo, files_checked=1), state.lang))


@cli.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="只检查，列出不规范的文件并返回 1 / only list files that differ; exit 1.")
@lang_option
@click.pass_context
def fmt_command(ctx: click.Context, paths: tuple[Path, ...], check: bool, lang: str | None) -> None:
    """把记录文件整理成规范的 YAML（保留注释，不改变任何值）。

    Rewrite record files as canonical YAML: key order from the schema, 2-space
    indent, quotes where YAML would mistype a value; comments are kept and no
    value ever changes.  PATHS defaults to the content folder.
    """
    from generator import fmt

    state = _state(ctx, lang)
    config = state.config()
    result = fmt.run(config, paths or (config.content_dir,), check=check)

    from generator.safetext import printable

    def shown(path: Path) -> str:
        try:
            return printable(Path(os.path.abspath(path)).relative_to(os.path.abspath(config.root)).as_posix())
        except ValueError:
            return printable(path.as_posix())

    for path in result.changed:
        click.echo(t(state.lang, "workflow.fmt.would_change" if check else "workflow.fmt.formatted", path=shown(path)))
    for path, key, args in result.skipped:
        click.echo(t(state.lang, "workflow.fmt.skipped", path=shown(path), reason=t(state.lang, key, **args)), err=True)
    for path, key, args in result.failed:
        reason = t(state.lang, key, **localised(args, state.lang))
        click.echo(t(state.lang, "workflow.fmt.failed", path=shown(path), reason=reason), err=True)
    total = len(result.changed) + len(result.unchanged) + len(result.failed)
    if check:
        key = "workflow.fmt.summary_check" if result.changed else "workflow.fmt.summary_check_clean"
    else:
        key = "workflow.fmt.summary"
    click.echo(t(state.lang, key, total=total, changed=len(result.changed)))
    raise SystemExit(EXIT_PROBLEMS if result.failed or (check and result.changed) else EXIT_OK)


@cli.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              help="输出格式 / output format: text, markdown (pull requests), json.")
@lang_option
@click.pass_context
def diff_command(ctx: click.Context, base: str, head: str | None, fmt: str, lang: str | None) -> None:
    """比较两个版本的登记册：新增、删除、修改（逐字段）、改名、撤销与合并。

    Compare two versions of the registries: BASE and HEAD are git revisions
    (HEAD defaults to the working tree) or two content folders.  Reports added,
    removed and changed records field by field, renames, dissolutions and merges.
    """
    from generator import diff

    state = _state(ctx, lang)
    config = state.config()
    try:
        changes = diff.compare_specs(config, base, head)
    except diff.DiffError as exc:
        fail(t(state.lang, exc.key, **localised(exc.args_dict, state.lang)))
    click.echo(diff.RENDERERS[fmt](changes, state.lang, config), nl=False)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="端口（0 为任选空闲端口）/ port (0 picks a free one).")
@click.option("--datasets", is_flag=True,
              help="同时生成下载数据集（较慢）/ also build the datasets (slower).")
@lang_option
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, datasets: bool, lang: str | None) -> None:
    """本地实时预览：内容、schema 或配置改动后自动重建。

    Live preview on http://HOST:PORT/: rebuilds the site whenever content,
    schemas or the configuration change; open pages reload by themselves.
    Stop with Ctrl+C.
    """
    from generator import serve

    state = _state(ctx, lang)
    config = state.config()
    try:
        serve.serve_forever(config, host, port, state.lang, datasets=datasets)
    except serve.ServeError as exc:
        fail(t(state.lang, exc.key, **localised(exc.args_dict, state.lang)))


@cli.command("release")
@click.argument("version")
@click.option("--date", "date_text", default=None, metavar="YYYY-MM-DD",
              help="发布日期（默认今天）/ release date (default: today).")
@lang_option
@click.pass_context
def release_command(ctx: click.Context, version: str, date_text: str | None, lang: str | None) -> None:
    """发布一个带日期、不可更改的数据集版本（含更新日志与变动记录）。

    Write an immutable, dated release of the datasets under
    datasets/releases/VERSION/: the data package, SHA256SUMS, a CHANGELOG of
    what changed since the previous release and a delta file of only the
    changed records.  VERSION is semver (1.2.0) or a date (2026-11-23).
    """
    from generator import release

    state = _state(ctx, lang)
    config = state.config()
    dirty = release.uncommitted(config.root)
    if dirty:
        from generator.safetext import printable

        click.echo(t(state.lang, "hardening.release_uncommitted", paths=printable(", ".join(dirty))), err=True)
    try:
        made = release.make_release(config, version, date_text=date_text)
    except release.ReleaseError as exc:
        if exc.report is not None:
            click.echo(render_text(exc.report, state.lang), err=True)
        # Problems in the registries exit 1; a bad version, date or setting is a usage error (2).
        fail(t(state.lang, exc.key, **localised(exc.args_dict, state.lang)),
             EXIT_PROBLEMS if exc.report is not None else EXIT_USAGE)
    click.echo(release.summary(made, config, state.lang))


@cli.command("export")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="输出目录（默认 build/site/data）/ output folder (default build/site/data).")
@lang_option
@click.pass_context
def export_command(ctx: click.Context, out_dir: Path | None, lang: str | None) -> None:
    """导出开放数据集（Frictionless 数据包：CSV、XLSX、JSON、GeoJSON、SQLite）。

    Export the open datasets: a Frictionless Data Package (CSV) with XLSX,
    JSON, GeoJSON, SQLite, per-record JSON and SHA256SUMS, into
    build/site/data (or --out).  The content is validated first and the
    package is validated before it replaces the previous output; on any
    error (exit 1) the previous output is left untouched.
    """
    from generator import export

    state = _state(ctx, lang)
    config = state.config()
    sys.exit(export.run_command(config, out_dir, state.lang))


@cli.command("build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="输出目录（默认 build/site）/ output folder (default build/site).")
@click.option("--strict", is_flag=True, help="警告也算失败 / treat warnings as errors.")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度 / no progress output.")
@click.option("--no-cache", is_flag=True,
              help="不使用上次构建的缓存，全部重新生成 / ignore the cache of the last build, build everything.")
@lang_option
@click.pass_context
def build_command(ctx: click.Context, out_dir: Path | None, strict: bool, quiet: bool, no_cache: bool,
                  lang: str | None) -> None:
    """生成公开名录网站与开放数据（先校验；失败时保留原网站）。

    Build the public directory site with its datasets and search index into
    build/site (or --out): validate, render both languages, then swap the new
    site in atomically.  Refuses (exit 1) when the registries have errors, or
    warnings with --strict; a failed build leaves the previous site in place.
    """
    global _HEAP_LEFT_BEHIND
    from generator import build

    state = _state(ctx, lang)
    config = state.config()
    update, finish = build.terminal_progress(not quiet)
    try:
        result = build.build(config, out_dir, strict=strict, quiet=quiet, lang=state.lang, progress=update,
                             cache=not no_cache)
    except build.BuildError as exc:
        _HEAP_LEFT_BEHIND = True  # refused after loading every record: the same heap, workers stopped
        finish()
        if exc.report is not None:
            click.echo(render_text(exc.report, state.lang), err=True)
        fail(exc.message(state.lang), EXIT_PROBLEMS if exc.report is not None else EXIT_USAGE)
    except KeyboardInterrupt:
        finish()  # end the progress line before the interruption is reported
        raise
    finish()
    if result.report.warnings:
        click.echo(t(state.lang, "site.build.warnings", count=result.report.warnings), err=True)
    try:
        shown = result.out_dir.relative_to(Path.cwd())
    except ValueError:
        shown = result.out_dir
    click.echo(t(state.lang, "site.build.done", out=shown, pages=result.pages, records=result.records,
                 seconds=result.seconds))
    if not quiet and result.reused:
        click.echo(t(state.lang, "incremental.build.reused", reused=result.reused))
    if not quiet:
        steps = ", ".join(f"{t(state.lang, 'site.build.step.' + k)} {v:.1f}s"
                          for k, v in result.timings.items())
        click.echo(t(state.lang, "site.build.timings", steps=steps))
    _HEAP_LEFT_BEHIND = True  # every file is closed and every worker joined: see ``run``


@cli.command("deploy")
@click.option("--to", "dest", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="目标目录（网站服务器根目录或挂载的存储桶）/ destination folder (a web root or mounted bucket).")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="已生成的网站（默认 build/site）/ the built site (default build/site).")
@click.option("--plan", "show_plan", is_flag=True,
              help="只输出 JSON 计划（上传、删除），不做改动 / print the plan as JSON, change nothing.")
@click.option("--against", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="目标上次收到的清单所在目录（对象存储用）/ folder with the destination's last manifest.")
@click.option("--verify", is_flag=True,
              help="逐个校验目标文件的 SHA-256，而不信任其清单 / hash the destination's files.")
@lang_option
@click.pass_context
def deploy_command(ctx: click.Context, dest: Path | None, site_dir: Path | None, show_plan: bool,
                   against: Path | None, verify: bool, lang: str | None) -> None:
    """按清单把网站同步到目录或对象存储：只上传改动的文件，最后删除已不存在的文件。

    Sync the built site to a folder by its manifest (hubdir-manifest.json.gz): upload
    what changed (pages last), delete what is gone, then write the manifest.  With
    --plan, print what would be uploaded and deleted as JSON (for an object store's
    own tool, e.g. ossutil, coscli, obsutil) and change nothing.
    """
    from generator import deploy

    state = _state(ctx, lang)
    site = site_dir or (state.config().root / "build" / "site")
    try:
        if show_plan or dest is None:
            if dest is None and against is None:
                fail(t(state.lang, "incremental.deploy.need_target"))
            todo = deploy.plan(site, dest, verify=verify, dest_manifest=against)
            click.echo(todo.as_json())
            return
        todo = deploy.sync_folder(site, dest, verify=verify)
    except deploy.DeployError as exc:
        fail(t(state.lang, exc.key, **exc.args_dict))
    click.echo(t(state.lang, "incremental.deploy.done", dest=dest, uploaded=len(todo.upload),
                 deleted=len(todo.delete), unchanged=todo.unchanged))


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--division", "code", required=True, metavar="CODE",
              help="国家统计局区划代码：县级 6 位、市 4 位、省 2 位 / NBS code: county-level 6 digits, city 4, "
                   "province 2.")
@lang_option
@click.pass_context
def init_command(ctx: click.Context, directory: Path, code: str, lang: str | None) -> None:
    """为一个县级单位、市或省新建完整的名录项目（离线，区划取自随附的国家统计局 2023 年代码）。

    Write a complete new project into DIRECTORY (new or empty): site_config.yml,
    datasets/package.yml, every division under CODE in content/divisions/, the
    schemas, README, CONTRIBUTING, issue and pull-request templates, CI and
    pre-commit files.  Nothing is written when the input is wrong (exit 2).
    """
    from generator.init.cli import run

    state = _state(ctx, lang)
    message, code_out = run(directory, code, state.lang)
    click.echo(message, err=code_out != EXIT_OK)
    raise SystemExit(code_out)


#: Set by a build that ended (built or refused): its model, pages and caches are millions of objects, and freeing them
#: one by one as the interpreter shuts down took 2.5 s of a 27 s second build at 100k records.
_HEAP_LEFT_BEHIND = False


def run() -> None:
    """The ``hubdir`` program: ``main``, then, after a build, out without that teardown.

    ``os._exit`` runs no finalizer, so the streams are flushed first (a failed flush, a closed pipe,
    takes the normal way out); the build has closed its files and joined or stopped its workers
    before it returns or raises.  Callers in the same process (tests, scripts) use ``main``, which
    always returns or raises normally.
    """
    try:
        main()
    except SystemExit as exc:
        if _HEAP_LEFT_BEHIND and isinstance(exc.code, int | None):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:
                raise exc from None
            os._exit(exc.code or EXIT_OK)
        raise


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI and turn any unexpected exception into exit 2."""
    try:
        return cli.main(args=argv, prog_name="hubdir", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        fail(t(_argv_lang(argv), "cli.interrupted"), 130)
    except Exception as exc:  # the last line of defence: never a traceback
        from generator.safetext import printable

        fail(t(_argv_lang(argv), "cli.internal", detail=printable(f"{type(exc).__name__}: {exc}")))


def _argv_lang(argv: list[str] | None) -> str:
    """The language asked for by ``--lang``/``HUBDIR_LANG``, read without click (it may have failed)."""
    args = sys.argv[1:] if argv is None else argv
    lang = os.environ.get("HUBDIR_LANG", "")
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            lang = args[index + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in LANGS else "zh"


if __name__ == "__main__":  # pragma: no cover
    run()
