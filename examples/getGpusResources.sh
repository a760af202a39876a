#!/usr/bin/env bash
# GPU discovery script for sparklite (and Spark): prints the NVIDIA GPUs of this machine as
#   {"name": "gpu", "addresses": ["0", "1", ...]}
# Use it with:
#   --conf spark.executor.resource.gpu.amount=1
#   --conf spark.executor.resource.gpu.discoveryScript=/path/to/getGpusResources.sh
# (or spark.worker.resource.gpu.* on a standalone worker). CUDA_VISIBLE_DEVICES, when set,
# limits the answer to the GPUs it lists, as CUDA itself would.
set -euo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "getGpusResources.sh: nvidia-smi not found; is the NVIDIA driver installed?" >&2
  exit 1
fi

indexes=$(nvidia-smi --query-gpu=index --format=csv,noheader)
if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
  visible=",${CUDA_VISIBLE_DEVICES// /},"
  indexes=$(for i in $indexes; do [[ "$visible" == *",$i,"* ]] && echo "$i"; done || true)
fi

addresses=""
for i in $indexes; do
  addresses="${addresses:+$addresses,}\"$i\""
done
echo "{\"name\": \"gpu\", \"addresses\": [$addresses]}"
