"""Calibration: fitting scenario parameters to observed points (``fit``), the target files (``targets``)."""
