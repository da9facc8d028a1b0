"""A small example application for the peatmoss demo: it loads pre-trained models."""

import argparse
import os

from sentence_transformers import SentenceTransformer
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

SENTIMENT = "distilbert-base-uncased-finetuned-sst-2-english"
EMBEDDER = os.environ.get("EMBEDDER", "sentence-transformers/all-MiniLM-L6-v2")


def classifier():
    tokenizer = AutoTokenizer.from_pretrained(SENTIMENT)
    model = AutoModelForSequenceClassification.from_pretrained(SENTIMENT)
    return pipeline("sentiment-analysis", model=model, tokenizer=tokenizer)


def embed(texts):
    return SentenceTransformer(EMBEDDER).encode(texts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--generator", default="meta-llama/Llama-3.1-8B-Instruct")
    args = parser.parse_args()
    generate = pipeline("text-generation", model=args.generator)
    print(generate("Hello")[0]["generated_text"])


if __name__ == "__main__":
    main()
