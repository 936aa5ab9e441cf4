"""Reading and writing datasets: COCO json, YOLO txt + data.yaml, images and RAW files."""
