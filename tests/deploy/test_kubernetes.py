"""The README's Kubernetes Job for `strategy: multi_worker`: each pod's shell script, run with
`appraise` replaced by a stub, hands `appraise train` a TF_CONFIG that names every pod of the Job
and the pod's own index, in the form `training.cluster` accepts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from training.cluster import cluster_task

pytestmark = pytest.mark.deploy

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes" / "train-multi-worker.yaml"


def _documents() -> dict[str, Any]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8"))}


def _environment(script: str, index: int, stub: Path) -> dict[str, Any]:
    """What the container's command would give `appraise`: its TF_CONFIG and arguments."""
    stub.write_text('#!/bin/sh\nprintf \'{"tf_config": %s, "argv": "%s"}\' "$TF_CONFIG" "$*"\n')
    stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{stub.parent}:{os.environ['PATH']}"}
    env["JOB_COMPLETION_INDEX"] = str(index)
    done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_every_pod_gets_a_tf_config_naming_all_pods_and_itself(tmp_path: Path) -> None:
    documents = _documents()
    job, service = documents["Job"], documents["Service"]
    pods = job["spec"]["completions"]
    assert job["spec"]["parallelism"] == pods and job["spec"]["completionMode"] == "Indexed"
    template = job["spec"]["template"]["spec"]
    assert template["subdomain"] == service["metadata"]["name"]
    (container,) = template["containers"]
    port = service["spec"]["ports"][0]["port"]
    name = f"{job['metadata']['name']}-{{}}.{template['subdomain']}:{port}"
    chiefs = []
    for index in range(pods):
        given = _environment(container["args"][0], index, tmp_path / "appraise")
        task = cluster_task({"TF_CONFIG": json.dumps(given["tf_config"])})
        assert (task.kind, task.index, task.workers) == ("worker", index, pods)
        assert given["tf_config"]["cluster"]["worker"] == [name.format(i) for i in range(pods)]
        assert given["argv"].startswith("train ") and "--strategy multi_worker" in given["argv"]
        chiefs.append(task.is_chief)
    assert chiefs == [True] + [False] * (pods - 1)
