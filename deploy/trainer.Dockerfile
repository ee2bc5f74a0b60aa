# The trainer image: OVH AI Training jobs and the Kubernetes PyTorchJob run it.
#
#   docker build -f deploy/trainer.Dockerfile -t <registry>/pixel/pixel-platform-trainer:<tag> .
#
# Its entrypoint is the training module, so an OVH job's `command` is the trainer's arguments
# (pixel_platform.training.spec renders them: --release /workspace/release ... --gpus N); with
# --gpus the module re-executes itself under DeepSpeed's launcher over the job's GPUs. The
# PyTorchJob overrides the entrypoint with torchrun. The versions below are the ones the test
# suite runs (CPU) and the bundled DeepSpeed configs were validated with.
FROM nvidia/cuda:12.8.1-runtime-ubuntu22.04

# Python 3.11 from uv's standalone builds (Ubuntu 22.04 ships 3.10); git for hub revisions.
COPY --from=ghcr.io/astral-sh/uv:0.8.22 /uv /usr/local/bin/uv
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
ENV UV_PYTHON_INSTALL_DIR=/opt/python \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/workspace/work \
    HF_HOME=/workspace/work/hf \
    TOKENIZERS_PARALLELISM=false
RUN uv venv --python 3.11 /opt/venv \
 && uv pip install --python /opt/venv/bin/python pip

# The training stack first (cached while only the code changes). PyPI's Linux torch wheel is
# the CUDA build. DS_BUILD_OPS=0: no DeepSpeed op is compiled at install time; the bundled
# configs use torch's AdamW (torch_adam), so none is needed at run time either.
RUN pip install \
        torch==2.13.0 \
        transformers==5.23.0 \
        tokenizers==0.23.3 \
        accelerate==1.15.0 \
        trl==1.16.0 \
        datasets==5.2.0 \
 && DS_BUILD_OPS=0 pip install deepspeed==0.19.8

WORKDIR /opt/pixel_platform
COPY pyproject.toml README.md ./
COPY pixel_platform ./pixel_platform
RUN DS_BUILD_OPS=0 pip install ".[train]" \
 && python -c "import pixel_platform.training.train, trl, deepspeed"

# OVH AI Training runs containers as uid 42420; volumes are mounted under /workspace.
RUN mkdir -p /workspace/release /workspace/checkpoints /workspace/work \
 && chown -R 42420:42420 /workspace
USER 42420
WORKDIR /workspace

ENTRYPOINT ["python", "-m", "pixel_platform.training.train"]
CMD ["--help"]
