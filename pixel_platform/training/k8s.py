"""A Kubernetes multi-node manifest rendered from a ``TrainingJobSpec``.

OVH AI Training runs one machine (up to four GPUs) per job. Past that, the same spec renders into
a Kubeflow ``PyTorchJob`` (training-operator): one Master and ``nodes - 1`` Worker pods, each
running ``torchrun`` over its GPUs. The operator injects the rendezvous environment
(``PET_NNODES``, ``PET_NPROC_PER_NODE``, ``PET_NODE_RANK``, ``PET_MASTER_ADDR``,
``PET_MASTER_PORT``), which torchrun reads; the trainer reads the release and writes checkpoints
through ``s3://`` (no object-storage mounts on Kubernetes), with credentials from the Secret named
``s3_secret`` (the same ``OVH_S3_*`` variables as everywhere). Multi-node DeepSpeed checkpoints are
per-rank shards: each node's first process uploads its own, so every shard reaches the bucket.

``deploy/k8s/pytorchjob.example.yaml`` is this rendering of ``deploy/k8s/example-spec.yaml``.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.training.launch import TRAIN_MODULE
from pixel_platform.training.spec import WORK_DIR, TrainingJobSpec


def _s3_uri(bucket: str, prefix: str) -> str:
    return f"s3://{bucket}/{prefix}".rstrip("/")


def render_pytorchjob(
    spec: TrainingJobSpec,
    *,
    nodes: int = 2,
    namespace: str = "pixel-training",
    s3_secret: str = "pixel-s3-credentials",
    service_account: str | None = None,
    shm_size: str = "64Gi",
) -> dict[str, Any]:
    if nodes < 1:
        raise ConfigError("nodes must be at least 1")
    gpus = spec.resources.gpus
    release = _s3_uri(spec.release_volume.container, spec.release_volume.prefix)
    output_root = _s3_uri(spec.checkpoint_volume.container, spec.checkpoint_volume.prefix)
    args = spec.train_args(release, output_root, WORK_DIR)
    command = [
        "torchrun",
        "--nnodes=$(PET_NNODES)",
        "--nproc-per-node=$(PET_NPROC_PER_NODE)",
        "--node-rank=$(PET_NODE_RANK)",
        "--master-addr=$(PET_MASTER_ADDR)",
        "--master-port=$(PET_MASTER_PORT)",
        "-m",
        TRAIN_MODULE,
    ]
    env = [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
    env.append({"name": "DATASET_STORAGE_BACKEND", "value": "s3"})
    container: dict[str, Any] = {
        "name": "pytorch",  # the training operator looks for this container name
        "image": spec.image,
        "command": command,
        "args": args,
        "env": env,
        "envFrom": [{"secretRef": {"name": s3_secret}}],
        "resources": {"limits": {"nvidia.com/gpu": gpus}, "requests": {"nvidia.com/gpu": gpus}},
        "volumeMounts": [
            {"name": "work", "mountPath": WORK_DIR},
            {"name": "dshm", "mountPath": "/dev/shm"},
        ],
    }
    pod_spec: dict[str, Any] = {
        "containers": [container],
        "volumes": [
            {"name": "work", "emptyDir": {}},
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": shm_size}},
        ],
    }
    if service_account:
        pod_spec["serviceAccountName"] = service_account
    labels = spec.all_labels()

    def replica(count: int) -> dict[str, Any]:
        return {
            "replicas": count,
            "restartPolicy": "OnFailure",
            # copies: the YAML must not use anchors/aliases, which some tools reject
            "template": {"metadata": {"labels": dict(labels)}, "spec": copy.deepcopy(pod_spec)},
        }

    replicas = {"Master": replica(1)}
    if nodes > 1:
        replicas["Worker"] = replica(nodes - 1)
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {
            "name": spec.job_name[:63].rstrip("-"),
            "namespace": namespace,
            "labels": dict(labels),
        },
        "spec": {
            "nprocPerNode": str(gpus),
            "runPolicy": {
                "activeDeadlineSeconds": spec.timeout_s,
                "backoffLimit": 3,
                "cleanPodPolicy": "None",
            },
            "pytorchReplicaSpecs": replicas,
        },
    }


def render_yaml(spec: TrainingJobSpec, **kwargs: Any) -> str:
    header = (
        f"# Rendered from training spec {spec.spec_id} by pixel_platform.training.k8s.\n"
        "# Apply with: kubectl apply -f <this file>   (needs the Kubeflow training operator)\n"
    )
    return header + yaml.safe_dump(render_pytorchjob(spec, **kwargs), sort_keys=False)
