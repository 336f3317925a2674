"""Fluent builders for scheduler tests: nodes, pods and small clusters in one line each.

node("pi-1").arm64().cpu("3500m").memory("6Gi").taint("dedicated", "edge").build()
pod("web").cpu("250m").memory("256Mi").tolerate("dedicated").selector(arch="arm64").info()
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from archfit.model.k8s import node_from_k8s, pod_template_from_spec
from archfit.model.node import Node
from archfit.model.pod import PodTemplate
from archfit.scheduling.framework.cluster import Cluster
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.scheduler import Scheduler


class NodeBuilder:
    def __init__(self, name: str) -> None:
        self._obj: dict[str, Any] = {
            "metadata": {"name": name, "labels": {"kubernetes.io/arch": "amd64"}},
            "spec": {},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
        }

    def arm64(self) -> NodeBuilder:
        return self.label("kubernetes.io/arch", "arm64")

    def label(self, key: str, value: str = "") -> NodeBuilder:
        self._obj["metadata"]["labels"][key] = value
        return self

    def zone(self, zone: str) -> NodeBuilder:
        return self.label("topology.kubernetes.io/zone", zone)

    def control_plane(self) -> NodeBuilder:
        self.label("node-role.kubernetes.io/control-plane")
        return self.taint("node-role.kubernetes.io/control-plane", effect="NoSchedule")

    def taint(self, key: str, value: str = "", effect: str = "NoSchedule") -> NodeBuilder:
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        self._obj["spec"].setdefault("taints", []).append(taint)
        return self

    def cordon(self) -> NodeBuilder:
        self._obj["spec"]["unschedulable"] = True
        return self

    def resource(self, name: str, amount: str) -> NodeBuilder:
        self._obj["status"]["allocatable"][name] = amount
        return self

    def cpu(self, amount: str) -> NodeBuilder:
        return self.resource("cpu", amount)

    def memory(self, amount: str) -> NodeBuilder:
        return self.resource("memory", amount)

    def pods(self, count: int) -> NodeBuilder:
        return self.resource("pods", str(count))

    def build(self) -> Node:
        return node_from_k8s(self._obj)


class PodBuilder:
    def __init__(self, name: str, namespace: str = "default") -> None:
        self.name = name
        self.namespace = namespace
        self._container: dict[str, Any] = {"name": "app", "image": "nginx:1.27"}
        self._spec: dict[str, Any] = {"containers": [self._container]}
        self._meta: dict[str, Any] = {"labels": {}}
        self._priority = 0
        self._owner: str | None = None

    def labels(self, **labels: str) -> PodBuilder:
        self._meta["labels"].update(labels)
        return self

    def request(self, name: str, amount: str) -> PodBuilder:
        self._container.setdefault("resources", {}).setdefault("requests", {})[name] = amount
        return self

    def cpu(self, amount: str) -> PodBuilder:
        return self.request("cpu", amount)

    def memory(self, amount: str) -> PodBuilder:
        return self.request("memory", amount)

    def selector(self, **labels: str) -> PodBuilder:
        fixed = {k.replace("__", "/").replace("_", "-"): v for k, v in labels.items()}
        self._spec.setdefault("nodeSelector", {}).update(fixed)
        return self

    def node_selector(self, key: str, value: str) -> PodBuilder:
        self._spec.setdefault("nodeSelector", {})[key] = value
        return self

    def tolerate(
        self, key: str = "", value: str = "", effect: str = "", operator: str = ""
    ) -> PodBuilder:
        toleration: dict[str, Any] = {"operator": operator or ("Equal" if value else "Exists")}
        if key:
            toleration["key"] = key
        if value:
            toleration["value"] = value
        if effect:
            toleration["effect"] = effect
        self._spec.setdefault("tolerations", []).append(toleration)
        return self

    def required(self, key: str, operator: str, *values: str) -> PodBuilder:
        terms = (
            self._spec.setdefault("affinity", {})
            .setdefault("nodeAffinity", {})
            .setdefault(
                "requiredDuringSchedulingIgnoredDuringExecution", {"nodeSelectorTerms": [{}]}
            )
        )
        terms["nodeSelectorTerms"][0].setdefault("matchExpressions", []).append(
            {"key": key, "operator": operator, "values": list(values)}
        )
        return self

    def preferred(self, weight: int, key: str, operator: str, *values: str) -> PodBuilder:
        self._spec.setdefault("affinity", {}).setdefault("nodeAffinity", {}).setdefault(
            "preferredDuringSchedulingIgnoredDuringExecution", []
        ).append(
            {
                "weight": weight,
                "preference": {
                    "matchExpressions": [{"key": key, "operator": operator, "values": list(values)}]
                },
            }
        )
        return self

    def pod_anti_affinity(self, topology_key: str, **match: str) -> PodBuilder:
        self._spec.setdefault("affinity", {}).setdefault("podAntiAffinity", {}).setdefault(
            "requiredDuringSchedulingIgnoredDuringExecution", []
        ).append({"topologyKey": topology_key, "labelSelector": {"matchLabels": match}})
        return self

    def pod_affinity(self, topology_key: str, **match: str) -> PodBuilder:
        self._spec.setdefault("affinity", {}).setdefault("podAffinity", {}).setdefault(
            "requiredDuringSchedulingIgnoredDuringExecution", []
        ).append({"topologyKey": topology_key, "labelSelector": {"matchLabels": match}})
        return self

    def spread(
        self, topology_key: str, max_skew: int = 1, when: str = "DoNotSchedule", **match: str
    ) -> PodBuilder:
        self._spec.setdefault("topologySpreadConstraints", []).append(
            {
                "maxSkew": max_skew,
                "topologyKey": topology_key,
                "whenUnsatisfiable": when,
                "labelSelector": {"matchLabels": match},
            }
        )
        return self

    def host_port(self, port: int, protocol: str = "TCP", host_ip: str = "") -> PodBuilder:
        entry: dict[str, Any] = {"containerPort": port, "hostPort": port, "protocol": protocol}
        if host_ip:
            entry["hostIP"] = host_ip
        self._container.setdefault("ports", []).append(entry)
        return self

    def priority(self, value: int) -> PodBuilder:
        self._priority = value
        return self

    def owner(self, owner: str) -> PodBuilder:
        self._owner = owner
        return self

    def template(self) -> PodTemplate:
        return pod_template_from_spec(self._spec, self._meta, "spec")

    def info(self, arrival: int = 0) -> PodInfo:
        return PodInfo(
            self.namespace,
            self.name,
            self.template(),
            owner=self._owner,
            priority=self._priority,
            arrival=arrival,
        )


def node(name: str) -> NodeBuilder:
    return NodeBuilder(name)


def pod(name: str, namespace: str = "default") -> PodBuilder:
    return PodBuilder(name, namespace)


def scheduler(*nodes: Node | NodeBuilder, version: str = "1.32") -> Scheduler:
    built = [n.build() if isinstance(n, NodeBuilder) else n for n in nodes]
    return Scheduler(Cluster(built), version=version)


def with_template(info: PodInfo, template: PodTemplate) -> PodInfo:
    return PodInfo(info.namespace, info.name, template, owner=info.owner, priority=info.priority)


__all__ = ["node", "pod", "replace", "scheduler", "with_template"]
