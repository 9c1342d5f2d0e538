"""The ``hubdir`` command line: a thin click layer over the pipeline modules.

Every command resolves the project folder, loads the configuration and turns
library errors into messages and exit codes: 0 fine, 1 problems found,
2 usage, configuration or internal error.  No traceback reaches a user.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from generator import __version__
from generator.config import Config, ConfigError, find_root, load_config
from generator.i18n import LANGS, t
from generator.problems import RENDERERS, Report, render_text

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


@dataclass
class State:
    root_option: Path | None
    lang: str

    def config(self) -> Config:
        root = self.root_option or find_root(Path.cwd())
        if root is None:
            fail(t(self.lang, "cli.no_root"))
        try:
            return load_config(root)
        except ConfigError as exc:
            report = Report(problems=exc.problems, files_checked=1)
            click.echo(t(self.lang, "cli.config_invalid"), err=True)
            click.echo(render_text(report, self.lang), err=True)
            raise SystemExit(EXIT_USAGE) from None


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(code)


lang_option = click.option(
    "--lang", type=click.Choice(LANGS), default=None, help="消息语言 / message language (zh, en)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hubdir")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="项目目录（含 site_config.yml）/ project folder holding site_config.yml.")
@lang_option
@click.pass_context
def cli(ctx: click.Context, root: Path | None, lang: str | None) -> None:
    """hubdir：顺德群团组织名录的校验、建站与开放数据工具。

    hubdir validates the registries of Shunde's mass organizations and
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
    from generator.validate import load

    state = _state(ctx, lang)
    config = state.config()
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


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI and turn any unexpected exception into exit 2."""
    try:
        return cli.main(args=argv, prog_name="hubdir", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        fail(t("zh", "cli.interrupted"), 130)
    except Exception as exc:  # the last line of defence: never a traceback
        fail(t("zh", "cli.internal", detail=f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
