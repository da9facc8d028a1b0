"""peatmoss: the pre-trained-model supply chain as a refreshable dataset."""

__version__ = "0.1.0"
