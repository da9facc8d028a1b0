import os
MODEL = os.environ.get("M", "bert-base-uncased")

def load(name=MODEL):
    return AutoModel.from_pretrained(name, revision="v1", trust_remote_code=True)

m = timm.create_model(f"resnet{50}", pretrained=True)
