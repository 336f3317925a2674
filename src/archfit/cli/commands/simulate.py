"""`archfit simulate PATH…`: place every pod as kube-scheduler would, and ask what-ifs."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import typer

from archfit.cli.application import EXIT_FINDINGS, EXIT_OK, Application
from archfit.cli.commands import _registry as registry_opts
from archfit.cli.commands._common import (
    ENTRY,
    FORMAT,
    FORMATS,
    OFFLINE,
    RESOLVE,
    emit_report,
    output_format_of,
)

__all__ = ["FORMATS", "register"]

VERSIONS = ("1.32", "1.33", "1.34")

HELP = """\
Simulate kube-scheduler without a cluster: expand controllers into pods, place them with
the default profile's plugins (same filters, scores, tie-breaks, preemption and
FailedScheduling messages as the real scheduler), and report utilisation per node and
architecture.

\b
What-ifs:
  --fail NODE      the node dies (failure, not drain): its pods must find room elsewhere;
                   StatefulSet pods stay stuck, pods on node-local volumes cannot move
  --fail-each      the N-1 sweep: every node fails alone, ranked by how much it hurts
  --drain NODE     kubectl drain, respecting PodDisruptionBudgets
  --add "2x raspberry-pi-5-8gb"   more nodes from a profile; --add-node FILE from a file
  --remove NODE    simulate without the node
  --suggest        which workloads could move to the arm64 nodes, and the result

\b
Image platforms (would a pod crash on its node?) come from archfit.lock, found as for
`archfit check`; authoritative where present: images missing from it are unknown unless
--resolve. Without one, the images are resolved online (through the cache), unless
--offline (ARCHFIT_OFFLINE=1).

\b
Examples:
  archfit simulate examples/homelab
  archfit simulate examples/homelab --fail-each
  archfit simulate apps/ --cluster nodes.yaml --add "2x raspberry-pi-5-8gb" --suggest
  archfit simulate . --format json --explain | jq '.pods[] | select(.node == null)'

\b
Exit codes: 0 everything placed and every what-if holds, 1 a pod is unschedulable or a
what-if leaves a workload short, 2 bad input or usage. Registries that do not answer
are a warning, not a failure: their images' pods are reported as unknown.
"""


def _split(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def register(app: typer.Typer) -> None:
    @app.command("simulate", help=HELP, no_args_is_help=True)
    @registry_opts.registry_options
    def simulate(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        paths: list[Path] = typer.Argument(  # noqa: B008 - typer declares options as defaults
            ..., help="Directories or manifest files to simulate.", show_default=False
        ),
        cluster: Path | None = typer.Option(  # noqa: B008
            None,
            "--cluster",
            envvar="ARCHFIT_CLUSTER",
            help="Cluster inventory: archfit's kind: Cluster file, or `kubectl get nodes -o yaml`"
            " (default: cluster.yaml beside the manifests, or Node objects in them).",
        ),
        lock: Path | None = typer.Option(  # noqa: B008
            None,
            "--lock",
            envvar="ARCHFIT_LOCK",
            help="Image lockfile (default: the nearest archfit.lock from the manifests up).",
        ),
        entry: str | None = ENTRY,
        output_format: str = FORMAT,
        explain: bool = typer.Option(
            False, "--explain", help="JSON: add per-node filter reasons and per-plugin scores."
        ),
        seed: int = typer.Option(
            0, "--seed", envvar="ARCHFIT_SEED", help="Seed of the random tie-breaks."
        ),
        version: str = typer.Option(
            "1.32",
            "--kubernetes-version",
            envvar="ARCHFIT_KUBERNETES_VERSION",
            help="Scheduler semantics and message wording: 1.32, 1.33 or 1.34.",
        ),
        fail: list[str] | None = typer.Option(  # noqa: B008
            None, "--fail", help="A node that fails (repeat, or comma-separate, for several)."
        ),
        fail_each: bool = typer.Option(False, "--fail-each", help="The N-1 sweep."),
        add: list[str] | None = typer.Option(  # noqa: B008
            None, "--add", help='Add nodes from a profile: "2x raspberry-pi-5-8gb".'
        ),
        add_node: list[Path] | None = typer.Option(  # noqa: B008
            None, "--add-node", help="Add the nodes of a cluster file or Node YAML."
        ),
        remove: list[str] | None = typer.Option(  # noqa: B008
            None, "--remove", help="Simulate without this node."
        ),
        drain: list[str] | None = typer.Option(  # noqa: B008
            None, "--drain", help="Drain this node (respecting PodDisruptionBudgets)."
        ),
        suggest: bool = typer.Option(
            False, "--suggest", help="Which workloads could move to the arm64 nodes."
        ),
        keep_going: bool = typer.Option(
            False,
            "--keep-going",
            help="Simulate what could be read when part of the input cannot be (exit 1).",
        ),
        allow_empty: bool = typer.Option(
            False, "--allow-empty", help="Exit 0 on paths that hold no Kubernetes object."
        ),
        resolve: bool = RESOLVE,
        offline: bool = OFFLINE,
    ) -> None:
        output_format = output_format_of(output_format)
        from archfit.report.simulate_json import simulate_report_json  # noqa: PLC0415
        from archfit.report.simulate_text import simulate_report_text  # noqa: PLC0415
        from archfit.scheduling.results import SimulateOptions  # noqa: PLC0415
        from archfit.usecases.inputs import load_complete, located  # noqa: PLC0415
        from archfit.usecases.simulate import run_simulate  # noqa: PLC0415

        application: Application = ctx.obj
        options = SimulateOptions(
            cluster=cluster,
            version=version,
            seed=seed,
            add=tuple(add or ()),
            add_node=tuple(add_node or ()),
            remove=_split(remove),
            fail=_split(fail),
            fail_each=fail_each,
            drain=_split(drain),
            suggest=suggest,
            lock=lock,
            explain=explain and output_format != "text",
        )
        terminal = application.terminal
        started = time.perf_counter()
        reading = application.reading()
        manifests, problems = load_complete(
            paths, keep_going=keep_going, allow_empty=allow_empty, entry=entry, reading=reading
        )
        for problem in problems:
            terminal.warn(f"left out: {located(problem)}")
        if application.verbose:
            read = application.read_summary() or (
                f"{manifests.files_read} files read in {time.perf_counter() - started:.2f}s"
            )
            terminal.info(f"read {len(manifests.workloads)} workloads ({read})")
            for note in manifests.notes if application.verbose > 1 else ():
                terminal.info(note)
        images: dict[str, Any] = {}
        asked: tuple[int, int] | None = None
        if registry_opts.wants_online(
            ctx, paths, lock=lock, config=None, resolve=resolve, offline=offline
        ):
            online = registry_opts.resolve_online(
                application,
                paths,
                lock=lock,
                config=None,
                manifests=manifests,
                resolver=registry_opts.resolver_config_from(ctx.params),
            )
            images = {"images": online.images, "image_findings": online.findings()}
            asked = (len(online.resolutions) - len(online.failed), len(online.resolutions))
        started = time.perf_counter()
        swept: list[str] = []
        with terminal.progress() as bar:
            # The N-1 sweep re-runs the schedule once per node: a bar (on a terminal) per node.
            def each(node: str) -> None:
                if not swept:
                    bar.start(len(manifests.nodes), "N-1 sweep")
                swept.append(node)
                bar.advance()

            report = run_simulate(
                paths, options, manifests=manifests, progress=each, entry=entry, **images
            )
        if asked is not None:
            report.inputs = dataclasses.replace(report.inputs, online=asked)
        if application.verbose:
            terminal.info(
                f"simulated {len(report.pods)} pods on {len(report.nodes)} nodes in "
                f"{time.perf_counter() - started:.2f}s"
                + (f" (N-1 sweep over {len(swept)} nodes)" if swept else "")
            )
        if output_format != "text":
            emit_report(
                application.terminal, output_format, simulate_report_json(report, explain=explain)
            )
        else:
            application.terminal.raw(simulate_report_text(report))
        code = EXIT_FINDINGS if report.exit_failed or problems else EXIT_OK
        if code:
            raise typer.Exit(code)
