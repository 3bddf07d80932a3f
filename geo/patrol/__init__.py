"""Patrol planning: candidate stops, walking times, the routing solver and the plan's outputs.

Modules: :mod:`~geo.patrol.targets` (candidate stops and why), :mod:`~geo.patrol.walking` (straight line
times a detour factor), :mod:`~geo.patrol.network` (a street network loaded offline),
:mod:`~geo.patrol.solver` (OR-Tools routing), :mod:`~geo.patrol.geojson`, :mod:`~geo.patrol.gpx`,
:mod:`~geo.patrol.sheet_pdf` (outputs) and :mod:`~geo.patrol.plans` (plans saved in the store).
"""
