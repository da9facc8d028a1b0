"""The core under the stages: what every stage needs, written once.

identity (a model's canonical key), runs (one lifecycle), archive (record/replay), http (one retry
policy), paths (shared data, caches, mirrors) and cli (one error and output policy). Stages import
from here; nothing here imports a stage.
"""
