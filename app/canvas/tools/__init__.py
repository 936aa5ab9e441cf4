"""Canvas tools: small state machines the view hands its left-button mouse events to."""
