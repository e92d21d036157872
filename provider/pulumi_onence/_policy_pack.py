"""Where the shipped policy pack is, and a standalone copy of it for a team's own repository.

The pack ships inside the package (``policy/pack``), so ``pulumi preview --policy-pack
"$(onence policy-pack path)"`` runs the rules of the installed version. A team that keeps the
pack beside its stacks gets a directory of its own from :func:`init_pack`: the engine makes its
virtualenv from a ``requirements.txt`` that pins this version, so a pull request cannot change
the rules its own preview is judged by. Nothing here imports pulumi-policy.

Example::

    written = init_pack(Path("policy"))    # PulumiPolicy.yaml, requirements.txt, __main__.py, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ._errors import ConfigurationError
from ._version import __version__

__all__ = ["PackFile", "init_pack", "pack_directory", "standalone_files"]

DISTRIBUTION = "pulumi-onence"


def pack_directory() -> Path:
    """The pack inside the installed package (``PulumiPolicy.yaml`` and ``__main__.py``)."""
    return Path(__file__).resolve().parent / "policy" / "pack"


@dataclass(frozen=True)
class PackFile:
    """One file of a standalone pack: its name and text."""

    name: str
    text: str


def standalone_files(version: str = __version__) -> list[PackFile]:
    """The files of a standalone pack that runs the rules of ``version`` in its own virtualenv."""
    shipped = pack_directory()
    return [
        PackFile(
            "PulumiPolicy.yaml",
            "# The 1NCE webhook policy pack (pulumi-onence). The engine runs it in the\n"
            "# virtualenv `venv` beside this file, made from requirements.txt: run\n"
            "# `pulumi install` here once (and after changing requirements.txt), then\n"
            "#   pulumi preview --policy-pack <this directory>\n"
            "description: Checks 1NCE Cloud Integrator webhooks before they are applied.\n"
            "# the version the engine reports the pack as: the pulumi-onence it runs\n"
            f"version: {version}\n"
            "runtime:\n"
            "  name: python\n"
            "  options:\n"
            "    toolchain: pip\n"
            "    virtualenv: venv\n",
        ),
        PackFile(
            "requirements.txt",
            "# The rules are those of this release; to take other rules, change the version here\n"
            "# and in PulumiPolicy.yaml.\n"
            f"{DISTRIBUTION}[policy]=={version}\n",
        ),
        PackFile("__main__.py", (shipped / "__main__.py").read_text(encoding="utf-8")),
        PackFile(
            "config.example.json", (shipped / "config.example.json").read_text(encoding="utf-8")
        ),
        PackFile(".gitignore", "venv/\n__pycache__/\n"),
    ]


def init_pack(target: Path, *, force: bool = False) -> list[Path]:
    """Write a standalone pack into ``target``; returns the files written.

    A ``target`` that exists and is not empty is refused, and nothing is written, unless
    ``force``: then the pack's own files are overwritten and every other file is left alone.
    """
    files = standalone_files()
    if target.exists() and not target.is_dir():
        raise ConfigurationError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigurationError(
            f"{target} is not empty; choose a new directory, or pass --force to overwrite the "
            f"pack's own files ({', '.join(f.name for f in files)}) and keep everything else"
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for file in files:
        path = target / file.name
        path.write_text(file.text, encoding="utf-8")
        written.append(path)
    return written
