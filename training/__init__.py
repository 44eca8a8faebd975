"""Data generation and training for the garden model. Imports garden; garden never imports this."""
