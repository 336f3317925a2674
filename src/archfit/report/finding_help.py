"""What each finding id means, for the formats that carry help beside a result (SARIF rules,
the HTML report): the first paragraph of its section in docs/findings.md, word for word (a test
keeps the two equal), and the address of that section."""

from __future__ import annotations

__all__ = ["FINDINGS_DOC_URL", "finding_doc_url", "finding_help"]

# The published copy of docs/findings.md; its sections are anchored by finding id.
FINDINGS_DOC_URL = "https://github.com/archfit/archfit/blob/main/docs/findings.md"

# Findings without a section of their own: the manifest reader's and the live ones.
_GENERIC = (
    "See docs/findings.md for what the finding means and how to fix it; the result's message "
    "says what was found and its fix."
)

_FLUX_SUBSTITUTION = (
    "What archfit met while applying a Flux Kustomization's post-build substitution "
    "(`spec.postBuild.substitute` and `substituteFrom`, see "
    "[sources](sources.md#flux-kustomizations)), said once per Kustomization, at its "
    "file. The objects are still read; where a value is missing, archfit keeps the "
    "`${...}` text as written rather than invent one, so an image holding it is an "
    "`unresolved-image`."
)

_HELP: dict[str, str] = {
    "unresolved-variable": _FLUX_SUBSTITUTION,
    "bad-substitution": _FLUX_SUBSTITUTION,
    "unresolved-images": (
        "Without a lockfile, `check` (and `simulate`, `fix`) resolve the images "
        "online (unless `--offline`). When no registry answers for some of them, archfit says "
        "so once on stderr, carries on, and lists those images in this one finding "
        "(`details.images`); each affected workload still carries its own `unresolved-image`."
    ),
    "invalid-kustomization": (
        "A `kustomization.yaml` entry `kustomize build` would fail on: a `resources`, `bases` "
        "or `components` entry that names nothing on disk, a `namespace` that is not a "
        "string, or an `images` entry whose `newTag` (`name`, `newName`, `digest`) is a YAML "
        "number: `newTag: 1.10` is the number 1.1, which kustomize refuses for a string field "
        "(quote it). A field of the wrong type altogether (`patches: 5`, `configMapGenerator: 3`) "
        "is not a finding but an input error (exit 2, naming the file and field): nothing "
        "below that overlay can be read."
    ),
    "invalid-yaml": (
        "A part of the input that could not be read. The rest is still checked; `simulate` "
        "refuses to run on such input (exit 2) unless `--keep-going`."
    ),
    "not-yaml": (
        "A part of the input that could not be read. The rest is still checked; `simulate` "
        "refuses to run on such input (exit 2) unless `--keep-going`."
    ),
    "unreadable": (
        "A part of the input that could not be read. The rest is still checked; `simulate` "
        "refuses to run on such input (exit 2) unless `--keep-going`."
    ),
    "invalid-manifest": (
        "A part of the input that could not be read. The rest is still checked; `simulate` "
        "refuses to run on such input (exit 2) unless `--keep-going`."
    ),
    "arch-mismatch": (
        "An image of the workload lacks the architecture of nodes its pods can reach. "
        "Those pods fail to pull (`no match for platform in manifest`) or, for a "
        'single-platform image, start and crash with `exec format error`. "Can reach" '
        "means: the workload's own nodeSelector, required node affinity, tolerations and "
        "extended-resource requests (a GPU request keeps pods on GPU nodes) admit the "
        "node. Init containers and sidecars count like app containers; an ephemeral "
        "container's image only warns. Also reported (once, without nodes) when the "
        "images share no architecture at all."
    ),
    "daemonset-not-multiarch": (
        "A DaemonSet would put a pod on every node its selector, affinity and tolerations "
        "admit (plus the tolerations the DaemonSet controller adds), but an image lacks "
        "the architecture of some of them. Those pods never run. The ARM64 strategy's "
        "DaemonSets (velero node-agent, cilium-agent, node-exporter) pass because their "
        "images are multi-arch."
    ),
    "gpu-unconstrained": (
        "The workload uses a GPU without requesting one — through `runtimeClassName: "
        "nvidia`, a device host path such as `/dev/dri`, or `NVIDIA_VISIBLE_DEVICES` — so"
        " nothing keeps it on nodes of that vendor. A request such as `nvidia.com/gpu: 1`"
        " (or `amd.com/gpu`, `gpu.intel.com/*`) and a device claimed through "
        "`resourceClaims` confine the pod by themselves: nothing is reported and `fix` "
        "adds nothing. The placement requires a label the inventory's GPU nodes of that "
        "vendor carry: `gpu.vendorLabels` when set, else one found on them "
        "(`nvidia.com/gpu.present`, `intel.feature.node.kubernetes.io/gpu`, Node Feature "
        "Discovery's `feature.node.kubernetes.io/pci-<class>_<vendor>.present` or "
        "`pci-<vendor>.present`). Without an inventory, or when no GPU node carries such "
        "a label, archfit writes no label and the hint says why."
    ),
    "storage-on-excluded-node": (
        "A volume uses a distributed-storage class (`storage.classes`, default "
        "`longhorn`) — through a PersistentVolumeClaim (a claim without a class gets the "
        "default StorageClass), a volumeClaimTemplate or a generic ephemeral volume — and "
        "nothing keeps the pods off nodes labelled `kubernetes.io/storage=none` "
        "(`storage.excludedNodeLabel`), where the volume cannot attach."
    ),
    "placement-conflict": (
        "The requirements the findings ask for, taken together, leave no node of the "
        "inventory for the workload's pods, although the pods as written have one (say, "
        "an amd64-only image on a cluster whose only amd64 node is a Longhorn-less node)."
        " `archfit fix` then writes no placement for the workload: an edit must never "
        "leave a schedulable workload Pending. The other findings stay, so each cause can"
        " be resolved or ignored on its own."
    ),
    "too-large-for-pi": (
        "The workload is heavy — an image matches `size.heavyImages` (databases, search "
        "engines, brokers), or its pod requests more cpu or memory than the smallest Pi "
        "of the inventory offers — and nothing keeps it off the Pis. DaemonSets are "
        "exempt, and an image name counts only for long-running servers (a Job or CronJob"
        " running `mongosh` is a client). Without Raspberry Pis in the inventory the rule"
        " says nothing (one `pi-rules-skipped` line says why)."
    ),
    "light-workload-not-on-pi": (
        "A light service (`light.images`: MQTT brokers, Pi-hole, Home Assistant, small "
        "proxies) whose images run on arm64 does not prefer the Pis yet. The placement "
        "adds a preferred node affinity (weight `light.weight`) towards them; the pods "
        "still fall back to x86 when the Pis are full."
    ),
    "arch-constraint-contradicts-images": (
        "The user already chose architectures — `kubernetes.io/arch` (or "
        "`beta.kubernetes.io/arch`) in the nodeSelector or required node affinity, or the "
        "`archfit.dev/arch` annotation — and none of them is shipped by the images. No "
        "node can run the workload; archfit adds no placement for it."
    ),
    "deprecated-arch-label": (
        "The workload selects nodes by `beta.kubernetes.io/arch` or "
        "`beta.kubernetes.io/os`, deprecated since Kubernetes 1.14."
    ),
    "invalid-annotation": (
        "The `archfit.dev/arch` annotation is not a comma-separated list of architectures."
    ),
    "floating-tag": (
        "An image is referenced by a tag that moves (`images.floatingTags`: `latest`, "
        "`stable`, `edge`, `main`, …) or by no tag at all (which means `latest`), without "
        "a digest. Its platforms can change with the next push while the manifests stay "
        "the same."
    ),
    "unresolved-image": (
        "archfit does not know the image's platforms: it is missing from `archfit.lock` "
        "(status `unresolved`), or a registry lookup failed (status `error`). The "
        "architecture rules then judge the workload by its other images only. An image "
        "reference that does not parse is an error."
    ),
    "unschedulable": (
        "No node of the inventory would accept one pod of the workload once its placement "
        "is applied. archfit runs kube-scheduler's filters that do not depend on other "
        "pods — NodeUnschedulable, NodeName, TaintToleration, NodeAffinity (nodeSelector "
        "and required affinity), NodeResourcesFit (pod requests against allocatable on an "
        "empty node) — in the scheduler's order, and writes the message kube-scheduler "
        "would put in the `FailedScheduling` event: `0/N nodes are available:` followed "
        "by `<count> <reason>` entries sorted as strings. `details.nodes` in the JSON "
        "report has the reasons per node."
    ),
    "no-lockfile": (
        "No `archfit.lock` was given or found in the checked directory or above it (up to "
        "the top of the repository), and the images were not resolved online (`--offline`), "
        "so every image is unresolved."
    ),
    "no-inventory": (
        "No cluster inventory was given or found (`cluster.yaml`, `--cluster`, or Node "
        "objects among the inputs). Placements are still computed, for the architectures "
        "in `nodes.architectures`, but no node is checked and `eligible_nodes` is `null`."
    ),
    "not-deployed": (
        "Info, rule `inputs`, from the manifest reader. The input has entry points (Flux "
        "root Kustomizations, Argo CD root Applications; see "
        "[sources](sources.md#entry-points)) and some files holding workloads or findings "
        "are reached from none of them: scaffolding, examples, templates. They are left "
        "out of the analysis and listed once, in `details.files`; their problems "
        "(`invalid-yaml`, …) are not reported."
    ),
    "appset-not-generated": (
        "Warning, rule `argocd`, at the ApplicationSet's file and line. Some of the "
        "Applications an Argo CD `ApplicationSet` generates were not generated, so their "
        "workloads are not checked: a generator asks a live service for its parameters "
        "(`scmProvider`, `pullRequest`, `clusterDecisionResource`, `plugin`; reading a "
        "repository does no network I/O), a `git` generator reads a repository whose paths "
        "are not among the files given, a `clusters` generator reads cluster Secrets whose "
        "data is not in the repository (SOPS, `SealedSecret`, `ExternalSecret`), a template "
        "or `templatePatch` does not render (as in Argo CD: a missing key with "
        "`missingkey=error`, a patch that is not YAML), or a generator or template uses "
        "what archfit does not evaluate. Inside a `matrix` or `merge` the whole combination "
        "is left out; `details.generator` names the generator at fault."
    ),
    "template-patch-not-applied": (
        "Warning, rule `argocd`, at the ApplicationSet's file and line. The ApplicationSet's "
        "`templatePatch` uses what archfit does not evaluate (a `define`d template, a function "
        "it does not model, a patch directive such as `$retainKeys`), so its Applications were "
        "generated from the template without the patch: what the patch changes (namespaces, "
        "values files, sources) is not reflected in the check."
    ),
}


def finding_help(finding_id: str) -> str:
    """The help text of a finding id (a generic pointer to the docs for ids without a section)."""
    return _HELP.get(finding_id, _GENERIC)


def finding_doc_url(finding_id: str) -> str:
    """Where the finding is documented: its section of docs/findings.md, or the page itself."""
    return f"{FINDINGS_DOC_URL}#{finding_id}" if finding_id in _HELP else FINDINGS_DOC_URL
