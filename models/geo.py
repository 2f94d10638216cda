"""Geometry shared by validation and the travel models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km between points (broadcasting over arrays of degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    distance: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return distance


SNAP_CANDIDATES = 8
"""Nearest nodes by chord that are re-ranked by great-circle distance (ties: lowest index)."""


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere (rows of x, y, z) for arrays of degrees."""
    p, q = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(p) * np.cos(q), np.cos(p) * np.sin(q), np.sin(p)))


def nearest_nodes(
    node_lat: Sequence[float],
    node_lon: Sequence[float],
    lat: Sequence[float],
    lon: Sequence[float],
) -> np.ndarray:
    """Index of the nearest road node (great circle) for each query point.

    A k-d tree over the nodes as points on the unit sphere (the chord grows with the great
    circle) finds a few candidates per point; memory grows with nodes plus points, never
    with their product. Among the candidates the great-circle distance decides, the lowest
    node index on a tie.
    """
    nlat = np.asarray(node_lat, dtype=float)
    nlon = np.asarray(node_lon, dtype=float)
    qlat = np.asarray(lat, dtype=float)
    qlon = np.asarray(lon, dtype=float)
    if qlat.size == 0 or nlat.size == 0:
        return np.zeros(0 if qlat.size == 0 else qlat.size, dtype=int)
    from scipy.spatial import cKDTree  # lazy: only road networks snap

    k = min(SNAP_CANDIDATES, nlat.size)
    tree = cKDTree(unit_vectors(nlat, nlon))
    _, found = tree.query(unit_vectors(qlat, qlon), k=k)
    candidates = np.sort(np.asarray(found, dtype=int).reshape(qlat.size, k), axis=1)
    km = haversine_km(qlat[:, None], qlon[:, None], nlat[candidates], nlon[candidates])
    nearest: np.ndarray = candidates[np.arange(qlat.size), np.argmin(km, axis=1)]
    return nearest
