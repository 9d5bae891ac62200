#!/usr/bin/env bash
# Embeddings on a GPU, in one command, on a machine with an NVIDIA GPU (driver, and the CUDA and cuDNN libraries of ONNX Runtime 1.31: CUDA 13, cuDNN 9):
# builds the benchmark with ONNX Runtime's CUDA package (-p:KqaCudaEmbeddings=true) and runs the embedding
# suite on the CPU and on ONNX Runtime's CUDA execution provider with the same texts: chunks/s of each (and of
# a bare ONNX Runtime session on each), the CUDA / CPU ratio, and the cosine agreement of the vectors.
# Extra arguments go to the suite, e.g. bench/gpu-embeddings.sh --chunks 2000 --batch 64 --data DATA/scifact
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "gpu-embeddings: no nvidia-smi"
dotnet build bench/KnowledgeQa.Bench -c Release -p:KqaCudaEmbeddings=true -v quiet -nologo
# The suite takes the first value of a repeated option, so the caller's arguments come first.
dotnet bench/KnowledgeQa.Bench/bin/cuda/Release/net10.0/KnowledgeQa.Bench.dll embedding \
  "$@" --providers cpu,cuda --precision fp32 --chunks 512 --reps 5
