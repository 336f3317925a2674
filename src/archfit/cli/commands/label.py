"""`archfit label`: plan, show and apply the node labels the policy relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archfit.cli.application import EXIT_INPUT, Abort, Application
from archfit.cli.commands._common import CONFIG
from archfit.cli.commands._kube import CONTEXT, KUBECONFIG

__all__ = ["load_inventory_nodes", "register"]

HELP = """Compute the node labels the policy needs, show the difference, and apply it.

\b
Labels (each node gets those that apply):
  node.kubernetes.io/instance-type=raspberry-pi   the Pis (from --cluster, or already set)
  kubernetes.io/storage=none                      nodes without distributed storage (the Pis)
  archfit.dev/gpu-vendor=nvidia|amd|intel         nodes whose device plugin advertises a GPU
  node.longhorn.io/create-default-disk=true       storage nodes, when Longhorn is installed
(the Pi and storage keys follow the policy file, archfit.yaml).

\b
Without --apply, --talos or --kubectl only the plan is shown. --apply uses server-side apply
as field manager `archfit`: it never removes a label archfit did not set, prints the plan
before changing anything, and stops at the first label another manager owns with another
value unless --force-conflicts. kubernetes.io/storage cannot be set by a kubelet (Talos
machine.nodeLabels): archfit says so and writes node.kubernetes.io/storage in Talos patches.

\b
Examples:
  archfit label                                 # show the plan
  archfit label --apply --dry-run=server        # let the API server validate it
  archfit label --apply
  archfit label --talos talos/patches           # one machine-config patch per node
  archfit label --kubectl | sh
"""


def load_inventory_nodes(path: Path) -> list[Any]:
    """Nodes from archfit's cluster file, `kubectl get nodes -o yaml` output or a snapshot."""
    from archfit.sources import load_inventory  # noqa: PLC0415

    return list(load_inventory(path).nodes)


def _plan_rows(plan: Any) -> list[list[str]]:
    rows = []
    for node in plan.nodes:
        for change in node.changes:
            if change.action == "keep":
                continue
            note = change.why
            if change.conflicts_with:
                note = f"CONFLICT: owned by {', '.join(change.conflicts_with)}"
            rows.append(
                [
                    node.node,
                    change.key,
                    change.current if change.current is not None else "-",
                    change.value if change.value is not None else "-",
                    change.action,
                    note,
                ]
            )
    return rows


def _plan_json(plan: Any) -> dict[str, Any]:
    return {
        "nodes": [
            {
                "node": n.node,
                "desired": dict(n.desired),
                "changes": [
                    {
                        "key": c.key,
                        "action": c.action,
                        "value": c.value,
                        "current": c.current,
                        "owners": list(c.owners),
                        "conflictsWith": list(c.conflicts_with),
                        "why": c.why,
                    }
                    for c in n.changes
                ],
            }
            for n in plan.nodes
        ],
        "issues": [i.message for i in plan.issues],
        "notes": list(plan.notes),
        "missing": list(plan.missing),
    }


def register(app: typer.Typer) -> None:
    @app.command("label", help=HELP)
    def label(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        apply: bool = typer.Option(False, "--apply", help="Apply with server-side apply."),
        dry_run: str | None = typer.Option(
            None, "--dry-run", help="With --apply: `server` sends dryRun=All (nothing changes)."
        ),
        force_conflicts: bool = typer.Option(
            False, "--force-conflicts", help="Take over labels another field manager owns."
        ),
        talos: Path | None = typer.Option(  # noqa: B008 - typer declares options as defaults
            None,
            "--talos",
            help="Write a Talos machine.nodeLabels patch per node into DIR.",
            file_okay=False,
        ),
        kubectl: bool = typer.Option(False, "--kubectl", help="Print kubectl label commands."),
        cluster: Path | None = typer.Option(  # noqa: B008
            None,
            "--cluster",
            envvar="ARCHFIT_CLUSTER",
            help="Cluster inventory (which nodes are Pis, which have no storage); default: the "
            "nearest cluster.yaml from the current directory up to the repository top.",
        ),
        config: Path | None = CONFIG,
        longhorn: bool | None = typer.Option(
            None,
            "--longhorn/--no-longhorn",
            help="Plan Longhorn's default-disk label (default: when a Longhorn class exists).",
        ),
        kubeconfig: Path | None = KUBECONFIG,
        context: str | None = CONTEXT,
        output_format: str = typer.Option("text", "--format", help="text or json."),
    ) -> None:
        # Imported here so that `archfit --help` does not load lightkube.
        import asyncio  # noqa: PLC0415

        from archfit.policy import Settings  # noqa: PLC0415
        from archfit.sources import write_atomic  # noqa: PLC0415
        from archfit.sources.discovery import discover  # noqa: PLC0415
        from archfit.usecases.config import load_settings  # noqa: PLC0415
        from archfit.usecases.label import (  # noqa: PLC0415
            apply_label_plan,
            inventory_label_inputs,
            kubectl_commands,
            plan_labels,
            read_label_inputs,
            talos_patch,
        )

        application: Application = ctx.obj
        term = application.terminal
        if output_format not in {"text", "json"}:
            raise Abort(f"--format: expected text or json, got {output_format!r}")
        if dry_run not in {None, "server"}:
            raise Abort(f"--dry-run: only `server` is supported, got {dry_run!r}")
        if dry_run and not apply:
            raise Abort("--dry-run=server goes with --apply")
        if force_conflicts and not apply:
            raise Abort("--force-conflicts goes with --apply")
        if sum([apply, talos is not None, kubectl]) > 1:
            raise Abort("choose one of --apply, --talos and --kubectl", EXIT_INPUT)
        # As every command: explicit files, else archfit.yaml and cluster.yaml found from the
        # current directory upwards (label reads no manifests).
        found = discover([], cluster=cluster, config=config)
        cluster, config = found.cluster, found.config
        settings = load_settings(config) if config is not None else Settings()
        inventory = load_inventory_nodes(cluster) if cluster is not None else None

        # With a cluster file and nothing to apply, no API server is needed (nor a kubeconfig).
        offline = inventory is not None and not apply and kubeconfig is None and context is None
        if offline and inventory is not None:
            inputs = inventory_label_inputs(inventory)
        else:
            inputs = asyncio.run(read_label_inputs(kubeconfig=kubeconfig, context=context))
        plan = plan_labels(
            inputs.nodes,
            inventory=inventory,
            settings=settings,
            storage_classes=inputs.storage_classes,
            longhorn=longhorn,
            owners=inputs.owners,
        )

        if kubectl:
            for command in kubectl_commands(plan):
                term.line(command)
            return
        text = output_format == "text"
        if not text and not apply and talos is None:
            term.json(_plan_json(plan))
            return
        rows = _plan_rows(plan)
        if text and rows:
            term.table(["NODE", "LABEL", "NOW", "PLANNED", "ACTION", "WHY"], rows)
        elif text:
            term.line(f"all {len(plan.nodes)} nodes already carry the planned labels")
        for issue in plan.issues:
            term.warn(issue.message)
        for note in plan.notes:
            term.info(note)
        for name in plan.missing:
            term.warn(f"{name} is in the inventory but not in the cluster")

        if talos is not None:
            talos.mkdir(parents=True, exist_ok=True)
            for node in plan.nodes:
                patch, warnings = talos_patch(node)
                write_atomic(talos / f"{node.node}.yaml", patch)
                for warning in warnings:
                    term.warn(warning)
            if text:
                term.line(f"wrote {len(plan.nodes)} Talos patches to {talos}")
            else:
                term.json({"talos": str(talos), **_plan_json(plan)})
            return
        if not apply:
            if plan.pending:
                term.line("plan only; rerun with --apply to change the nodes")
            return
        mode = " (server dry run: nothing is persisted)" if dry_run else ""
        if text and plan.pending:
            term.line(
                f"applying labels to {len(plan.pending)} nodes as field manager archfit{mode}"
            )

        def applied(name: str) -> None:
            if text:
                term.line(f"  {name}: applied{mode}")

        done = asyncio.run(
            apply_label_plan(
                plan,
                kubeconfig=kubeconfig,
                context=context,
                force=force_conflicts,
                dry_run=dry_run == "server",
                on_applied=applied,
            )
        )
        if not text:
            term.json({"applied": done, "dryRun": bool(dry_run), **_plan_json(plan)})
