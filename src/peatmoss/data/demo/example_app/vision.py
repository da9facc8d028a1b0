"""Image features for the demo (scanned by peatmoss, never run)."""

import timm
import torch

backbone = timm.create_model("resnet50", pretrained=True)
detector = torch.hub.load("ultralytics/yolov5", "yolov5s")
