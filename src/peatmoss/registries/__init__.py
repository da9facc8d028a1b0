"""The registries stage: model metadata from the Hugging Face Hub and PyTorch Hub into the database.

Verbs: `collect_huggingface(url, CollectOptions(...)) -> CollectSummary` and
`collect_pytorch_hub(url, source) -> PytorchHubSummary`.
"""

from .huggingface import CollectOptions, CollectSummary, collect_huggingface
from .pytorch_hub import PytorchHubSummary, collect_pytorch_hub

__all__ = ["CollectOptions", "CollectSummary", "PytorchHubSummary", "collect_huggingface", "collect_pytorch_hub"]
