"""Model-assisted labeling in the studio window: pick a model, pre-label in the background, and the
canvas shows the suggestions (``app.canvas.suggestions``) until they are accepted or rejected."""
