"""Which task of a multi-worker cluster this process is, read from TensorFlow's `TF_CONFIG`.

`strategy: multi_worker` runs the same `appraise train` on every worker; `TF_CONFIG` (the
variable `tf.distribute.MultiWorkerMirroredStrategy` reads) says who the workers are and which
one this process is. It is checked here, before TensorFlow starts, so that a typo is an error
that names the field instead of a cluster waiting forever for a worker that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

TF_CONFIG = "TF_CONFIG"
CHIEF, WORKER = "chief", "worker"
EXAMPLE = (
    '{"cluster": {"worker": ["host-a:12345", "host-b:12345"]}, '
    '"task": {"type": "worker", "index": 0}}'
)


class ClusterError(ValueError):
    """`TF_CONFIG` is missing or does not describe this task; the message names the field."""


@dataclass(frozen=True)
class ClusterTask:
    """This process's place in the cluster."""

    kind: str  # "chief" or "worker"
    index: int
    workers: int  # every task that trains: the chief (if any) and the workers
    has_chief: bool = False  # whether the cluster names a `chief` job
    replicas: int = 0  # replicas in sync over the whole cluster, once the strategy is made

    @property
    def is_chief(self) -> bool:
        """The one task that logs to MLflow and registers: `chief`, else `worker` 0."""
        first_worker = self.kind == WORKER and self.index == 0 and not self.has_chief
        return self.kind == CHIEF or first_worker

    def __str__(self) -> str:
        return f"{self.kind} {self.index}"


class _Task(BaseModel):
    type: str = Field(description="The job this process runs: chief or worker.")
    index: int = Field(ge=0, description="Its position in that job's address list.")


class _TfConfig(BaseModel):
    # TF_CONFIG may carry keys of TensorFlow's own (environment, rpc_layer): left to it.
    model_config = ConfigDict(extra="allow")

    cluster: dict[str, list[str]]
    task: _Task

    @model_validator(mode="after")
    def _consistent(self) -> _TfConfig:
        other = sorted(set(self.cluster) - {CHIEF, WORKER})
        if other:
            raise ValueError(
                f"cluster: jobs {other} are not supported; multi_worker runs `chief` and "
                "`worker` tasks only"
            )
        if not self.cluster.get(WORKER) and not self.cluster.get(CHIEF):
            raise ValueError("cluster: lists no `worker` (or `chief`) addresses")
        if len(self.cluster.get(CHIEF, [])) > 1:
            raise ValueError(f"cluster.chief: {len(self.cluster[CHIEF])} addresses; at most 1")
        for job, addresses in self.cluster.items():
            for i, address in enumerate(addresses):
                host, _, port = address.rpartition(":")
                if not host or not port.isdigit() or not 0 < int(port) < 65536:
                    raise ValueError(f"cluster.{job}[{i}]: {address!r} is not host:port")
        kind, index = self.task.type, self.task.index
        if kind not in self.cluster:
            raise ValueError(f"task.type: {kind!r} is not a job of cluster {sorted(self.cluster)}")
        if index >= len(self.cluster[kind]):
            raise ValueError(
                f"task.index: {index} is out of range: cluster.{kind} has "
                f"{len(self.cluster[kind])} address(es), so 0 to {len(self.cluster[kind]) - 1}"
            )
        return self


def cluster_task(environ: Mapping[str, str]) -> ClusterTask:
    """This process's task, from `TF_CONFIG` in `environ`; ClusterError when it is unusable."""
    raw = environ.get(TF_CONFIG, "").strip()
    if not raw:
        raise ClusterError(
            f"{TF_CONFIG} is not set: strategy multi_worker reads the cluster and this "
            f"process's task from it, e.g. {TF_CONFIG}='{EXAMPLE}'"
        )
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ClusterError(f"{TF_CONFIG} is not JSON ({exc}); e.g. '{EXAMPLE}'") from exc
    try:
        parsed = _TfConfig.model_validate(data)
    except ValidationError as exc:
        fields = "; ".join(_describe(e) for e in exc.errors())
        raise ClusterError(f"{TF_CONFIG}: {fields}") from exc
    workers = len(parsed.cluster.get(WORKER, [])) + len(parsed.cluster.get(CHIEF, []))
    return ClusterTask(parsed.task.type, parsed.task.index, workers, CHIEF in parsed.cluster)


def _describe(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
