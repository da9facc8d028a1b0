"""Fine-tunes a masked language model (demo code for peatmoss; it is scanned, never run)."""

from transformers import AutoModelForMaskedLM, Trainer, TrainingArguments

BASE = "bert-base-uncased"


def train(dataset):
    model = AutoModelForMaskedLM.from_pretrained(BASE)
    trainer = Trainer(model=model, args=TrainingArguments("out"), train_dataset=dataset)
    trainer.train()
    model.save_pretrained("out/final")
