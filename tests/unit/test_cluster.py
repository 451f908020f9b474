"""`strategy: multi_worker` set-up: TF_CONFIG read and checked before TensorFlow starts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from training.cluster import ClusterError, cluster_task

pytestmark = pytest.mark.unit
WORKERS = {"worker": ["host-a:2222", "host-b:2222"]}


def _task(cluster: Any = None, task: Any = None, **extra: Any) -> dict[str, str]:
    config = {"cluster": WORKERS if cluster is None else cluster, **extra}
    if task is not False:
        config["task"] = task or {"type": "worker", "index": 1}
    return {"TF_CONFIG": json.dumps(config)}


def test_a_worker_reads_its_place_and_who_is_chief() -> None:
    second = cluster_task(_task())
    assert (second.kind, second.index, second.workers, second.is_chief) == ("worker", 1, 2, False)
    assert cluster_task(_task(task={"type": "worker", "index": 0})).is_chief
    with_chief = {"chief": ["host-c:2222"], **WORKERS}
    assert cluster_task(_task(with_chief, {"type": "chief", "index": 0})).is_chief
    first = cluster_task(_task(with_chief, {"type": "worker", "index": 0}))
    assert not first.is_chief and first.workers == 3


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TF_CONFIG is not set"),
        ({"TF_CONFIG": "{cluster"}, "TF_CONFIG is not JSON"),
        (_task(task=False), "TF_CONFIG: task: Field required"),
        ({"TF_CONFIG": json.dumps({"task": {"type": "worker", "index": 0}})}, "cluster: Field"),
        (_task(task={"type": "worker", "index": 2}), "task.index: 2 is out of range"),
        (_task(task={"type": "worker", "index": -1}), "task.index: Input should be greater"),
        (_task(task={"type": "ps", "index": 0}), "task.type: 'ps' is not a job of cluster"),
        (_task({"worker": ["host-a"]}, {"type": "worker", "index": 0}), "cluster.worker[0]"),
        (_task({"ps": ["a:1"], **WORKERS}), "jobs ['ps'] are not supported"),
        (_task({"chief": ["a:1", "b:1"], **WORKERS}), "cluster.chief: 2 addresses; at most 1"),
        (_task({"worker": []}, {"type": "worker", "index": 0}), "lists no `worker`"),
    ],
)
def test_an_unusable_tf_config_is_refused_naming_the_field(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ClusterError) as error:
        cluster_task(environ)
    assert message in str(error.value)
