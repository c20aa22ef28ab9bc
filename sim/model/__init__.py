"""The reopening model: enterprises, cadres, offices, finance, workforce, outbreaks."""
