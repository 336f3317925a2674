"""`archfit fix`: compute each workload's placement and write it where its owner would.

    paths ──> run_check (policy placements) ──> plan_fixes (pure: new text per file)
          ──> --dry-run: unified diff │ otherwise: each file written atomically

Every new text is parsed again before anything is written; if one does not parse, nothing is
written. Running `fix` twice changes nothing the second time (the placement is already there).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archfit.errors import ArchfitError, InputError
from archfit.manifests.helm.release import DOCUMENT, LAYOUT
from archfit.manifests.rewrite.plan import WorkloadFix, check_yaml, plan_fixes
from archfit.model.check import CheckReport
from archfit.model.placement import Placement
from archfit.sources import ReadSettings, read_documents, write_atomic
from archfit.sources.discovery import CLI_SPELLING, Spelling

__all__ = ["FixOutcome", "WriteFailed", "run_fix", "unified_diff"]


class WriteFailed(ArchfitError):  # noqa: N818 - names what happened
    """A file could not be written (permissions, disk full). Files written before it keep their
    new content; the message names them so the run can be repeated (it is idempotent)."""


@dataclass(frozen=True, slots=True)
class FixOutcome:
    """What `fix` changed (or would change): new text per file, the diff, and notes."""

    files: dict[str, str] = field(default_factory=dict)
    originals: dict[str, str | None] = field(default_factory=dict)
    written: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def diff(self) -> str:
        return "".join(
            unified_diff(self.originals.get(path), text, path) for path, text in self.files.items()
        )


def unified_diff(old: str | None, new: str, path: str) -> str:
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{path.lstrip('/')}" if old is not None else "/dev/null",
        tofile=f"b/{path.lstrip('/')}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _read(path: str) -> str | None:
    # newline="": CRLF line ends are kept as they are, and written back so.
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def run_fix(
    paths: Sequence[Path | str],
    *,
    dry_run: bool = False,
    patches_dir: Path | None = None,
    cluster: Path | None = None,
    lock: Path | None = None,
    config: Path | None = None,
    check: Callable[[Sequence[Path]], CheckReport] | None = None,
    reading: ReadSettings | None = None,
    spelling: Spelling = CLI_SPELLING,
    entry: str | None = None,
) -> FixOutcome:
    """Fix the manifests under `paths`. `check` replaces the policy run (tests, the webhook's
    dry runs); by default it is `archfit.usecases.check.run_check` with the same inputs."""
    targets = [Path(p) for p in paths]
    if not targets:
        raise InputError("no path given; expected a directory or manifest files to fix")
    if check is None:
        # Imported here: the policy engine is only needed when no `check` is injected.
        from archfit.usecases.check import run_check  # noqa: PLC0415

        report = run_check(
            targets,
            cluster=cluster,
            lock=lock,
            config=config,
            spelling=spelling,
            entry=entry,
            reading=reading,
        )
    else:
        report = check(targets)
    # A file two entry points deploy is edited once (for the first entry point reaching it).
    verdicts = {(v.workload.key, v.workload.source): v for v in reversed(report.workloads)}
    # A workload `check` marks ok gets no edit: its placement may restate what its own selector
    # already says, and a maintainer would reject a change that fixes nothing.
    fixes = [
        WorkloadFix(v.workload, v.placement if v.findings else Placement(), ignored=v.ignored)
        for v in report.workloads
        if verdicts[v.workload.key, v.workload.source] is v
    ]
    fixes, held = _not_generated(fixes)
    plan = plan_fixes(
        fixes, roots=targets, read=_read, patches_dir=patches_dir, resolve=os.path.realpath
    )
    originals = {path: _read(path) for path in plan.files}
    for path, text in plan.files.items():
        check_yaml(text, path)
    if not dry_run:
        done: list[str] = []
        for path, text in plan.files.items():
            target = Path(path)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(target, text)
            except OSError as err:
                written = f" (already written: {', '.join(done)})" if done else ""
                raise WriteFailed(
                    f"cannot write {path}: {err.strerror or err}{written}; "
                    "fix the cause and run again"
                ) from None
            done.append(path)
    return FixOutcome(
        files=dict(plan.files),
        originals=originals,
        written=tuple(plan.written),
        notes=(*held, *plan.notes),
        dry_run=dry_run,
    )


def _not_generated(fixes: list[WorkloadFix]) -> tuple[list[WorkloadFix], list[str]]:
    """The fixes minus those of Helm releases an ApplicationSet generates: their values live in
    the ApplicationSet's template, shared by every Application it generates, so one workload's
    placement is not written there (a note says so)."""
    kinds: dict[tuple[str, int], str] = {}
    kept: list[WorkloadFix] = []
    notes: list[str] = []
    for fix in fixes:
        workload = fix.workload
        if workload.annotations.get(LAYOUT) is None:
            kept.append(fix)
            continue
        key = (workload.source.file, int(workload.annotations.get(DOCUMENT, "0")))
        if key not in kinds:
            found = read_documents([Path(key[0])]).documents  # the file holding the release
            kinds[key] = next((d.kind for d in found if d.index == key[1]), "")
        if kinds[key] != "ApplicationSet":
            kept.append(fix)
        elif fix.active:
            notes.append(
                f"{workload.display}: its release is generated by the ApplicationSet in "
                f"{workload.source.file}, whose template every generated Application shares; "
                "add the placement there by hand"
            )
    return kept, notes
