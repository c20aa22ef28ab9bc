"""The scenario file: schema (``schema``), loading and variants (``loader``), validation messages (``messages``).

Import from the modules themselves: the package imports nothing, so that
``sim.population`` (which needs the schema) and the loader (which reads
population CSVs) do not import each other through it.
"""
