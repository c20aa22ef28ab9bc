"""The 1+1+1 cadres: liaisons and supervisors with a working day (``teams``), who is covered
(``coverage``), and the section of the scenario they are built from (``schema``)."""

from sim.model.cadres.teams import CadresModule

__all__ = ["CadresModule"]
