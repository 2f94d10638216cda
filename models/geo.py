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


def nearest_nodes(
    node_lat: Sequence[float],
    node_lon: Sequence[float],
    lat: Sequence[float],
    lon: Sequence[float],
) -> np.ndarray:
    """Index of the nearest road node (great circle) for each query point."""
    nlat = np.asarray(node_lat, dtype=float)[None, :]
    nlon = np.asarray(node_lon, dtype=float)[None, :]
    qlat = np.asarray(lat, dtype=float)[:, None]
    qlon = np.asarray(lon, dtype=float)[:, None]
    if qlat.size == 0:
        return np.zeros(0, dtype=int)
    nearest: np.ndarray = np.argmin(haversine_km(qlat, qlon, nlat, nlon), axis=1)
    return nearest
