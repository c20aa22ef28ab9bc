"""Sweeps: the sweep file (``spec``), designs and sensitivity indices (``designs``), running one (``run``)."""
