"""Workloads derived from app-template values, current and old layouts."""

from __future__ import annotations

from typing import Any

from archfit.manifests.helm.apptemplate import derive, is_app_template, layout_of
from archfit.model.k8s import workload_from_k8s
from archfit.model.workload import SourceRef

SRC = SourceRef("hr.yaml", 1)


def test_chart_detection() -> None:
    assert is_app_template("oci://ghcr.io/bjw-s-labs/helm/app-template")
    assert is_app_template("app-template")
    assert not is_app_template("oci://ghcr.io/org/charts/app-templates")


def test_current_layout_controllers_pod_options_and_persistence() -> None:
    values = {
        "defaultPodOptions": {
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "gpu", "operator": "Exists"}],
            "runtimeClassName": "nvidia",
        },
        "controllers": {
            "main": {
                "containers": {
                    "app": {
                        "image": {"repository": "ghcr.io/a/app", "tag": "1.0@sha256:" + "b" * 64},
                        "resources": {"requests": {"cpu": "100m"}},
                    },
                    "off": {"enabled": False, "image": {"repository": "x", "tag": "1"}},
                },
                "initContainers": {"init": {"image": {"repository": "busybox", "tag": "1.36"}}},
            },
            "worker": {
                "type": "statefulset",
                "replicas": 2,
                "pod": {"hostNetwork": True, "nodeSelector": {"disk": "ssd"}},
                "containers": {
                    "app": {
                        "image": {"repository": "ghcr.io/a/worker", "digest": "sha256:" + "c" * 64}
                    }
                },
                "statefulset": {
                    "volumeClaimTemplates": [
                        {"name": "data", "storageClass": "longhorn", "size": "5Gi"}
                    ]
                },
            },
            "nightly": {
                "type": "cronjob",
                "cronjob": {"schedule": "0 3 * * *"},
                "containers": {"app": {"image": {"repository": "ghcr.io/a/job", "tag": "2"}}},
            },
            "disabled": {"enabled": False},
        },
        "persistence": {
            "config": {"storageClass": "ceph-block", "size": "1Gi"},
            "cache": {
                "existingClaim": "{{ .Release.Name }}-cache",
                "advancedMounts": {"worker": {"app": [{"path": "/c"}]}},
            },
            "media": {"type": "nfs", "server": "nas", "path": "/media"},
        },
    }
    result = derive(values, release="media", namespace="apps")
    by_id = {c.identifier: c for c in result.controllers}
    assert sorted(by_id) == ["main", "nightly", "worker"]
    main = workload_from_k8s(by_id["main"].manifest, SRC)
    assert main.display == "Deployment/apps/media-main"
    assert [c.image for c in main.template.containers] == ["ghcr.io/a/app:1.0@sha256:" + "b" * 64]
    assert [c.image for c in main.template.init_containers] == ["busybox:1.36"]
    assert main.template.node_selector == {"kubernetes.io/os": "linux"}
    assert main.template.runtime_class_name == "nvidia"
    assert {v.name for v in main.template.volumes} == {"config", "media"}  # cache is worker-only
    worker = workload_from_k8s(by_id["worker"].manifest, SRC)
    assert worker.kind == "StatefulSet"
    assert worker.replicas == 2
    # overwrite strategy: the controller's nodeSelector replaces the default, tolerations stay
    assert worker.template.node_selector == {"disk": "ssd"}
    assert worker.template.host_network is True
    assert len(worker.template.tolerations) == 1
    assert {v.name: v.claim_name for v in worker.template.volumes}["cache"] == "media-cache"
    assert worker.volume_claim_templates[0].storage_class == "longhorn"
    assert workload_from_k8s(by_id["nightly"].manifest, SRC).kind == "CronJob"
    assert by_id["worker"].pod_path == "controllers.worker.pod"
    # One claim is created, so it takes the release name (the identifier is appended only when
    # several claims are created).
    assert [c.manifest["metadata"]["name"] for c in result.claims] == ["media"]
    assert {v.name: v.claim_name for v in main.template.volumes}["config"] == "media"
    assert result.claims[0].manifest["spec"]["storageClassName"] == "ceph-block"


def test_single_controller_takes_the_release_name_and_merge_strategy() -> None:
    values = {
        "defaultPodOptionsStrategy": "merge",
        "defaultPodOptions": {"affinity": {"podAntiAffinity": {"x": 1}}},
        "controllers": {
            "plex": {
                "pod": {"affinity": {"nodeAffinity": {"y": 2}}},
                "containers": {"app": {"image": {"repository": "plex", "tag": "1"}}},
            }
        },
    }
    (controller,) = derive(values, release="plex", namespace="default").controllers
    assert controller.manifest["metadata"]["name"] == "plex"
    assert controller.manifest["spec"]["template"]["spec"]["affinity"] == {
        "podAntiAffinity": {"x": 1},
        "nodeAffinity": {"y": 2},
    }


def test_old_layout() -> None:
    values = {
        "controller": {"type": "daemonset"},
        "image": {"repository": "ghcr.io/esphome/esphome", "tag": "2024.2.0"},
        "hostNetwork": True,
        "affinity": {"nodeAffinity": {}},
        "sidecars": {"exporter": {"image": "prom/exporter:1"}},
        "persistence": {
            "config": {"enabled": True, "storageClass": "local-path"},
            "off": {"type": "emptyDir"},
        },
    }
    assert layout_of(values) == "old"
    (controller,) = derive(values, release="esphome", namespace="home").controllers
    workload = workload_from_k8s(controller.manifest, SRC)
    assert workload.display == "DaemonSet/home/esphome"
    assert [c.image for c in workload.template.containers] == [
        "ghcr.io/esphome/esphome:2024.2.0",
        "prom/exporter:1",
    ]
    assert workload.template.host_network is True
    assert [v.name for v in workload.template.volumes] == ["config"]
    assert controller.pod_path == ""


TWO_CONTROLLERS: dict[str, Any] = {
    "controllers": {
        "main": {"containers": {"app": {"image": {"repository": "ollama/ollama", "tag": "0.5"}}}},
        "webui": {
            "containers": {"app": {"image": {"repository": "ghcr.io/open-webui/ui", "tag": "1"}}}
        },
    }
}


def _names(values: dict[str, Any], version: str) -> list[str]:
    derived = derive(values, release="ollama", namespace="ai", chart_version=version)
    return [c.manifest["metadata"]["name"] for c in derived.controllers]


def test_chart_1x_names_the_single_controller_after_the_release() -> None:
    values = {"image": {"repository": "ollama/ollama", "tag": "0.5"}}
    assert _names(values, "1.5.1") == ["ollama"]


def test_chart_2x_names_main_after_the_release_and_others_with_their_id() -> None:
    assert _names(TWO_CONTROLLERS, "2.6.0") == ["ollama", "ollama-webui"]
    overridden = {
        "controllers": {
            **TWO_CONTROLLERS["controllers"],
            "webui": {**TWO_CONTROLLERS["controllers"]["webui"], "nameOverride": "ui"},
        }
    }
    assert _names(overridden, "v2.4.0") == ["ollama", "ollama-ui"]


def test_chart_3x_appends_every_id_when_several_controllers() -> None:
    assert _names(TWO_CONTROLLERS, "3.7.1") == ["ollama-main", "ollama-webui"]
    assert _names(TWO_CONTROLLERS, "4.0.1") == ["ollama-main", "ollama-webui"]
