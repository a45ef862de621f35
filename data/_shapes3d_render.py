"""An offline look-alike of DeepMind's 3D Shapes: one object in a room, ray-marched on numpy.

Same factor grid as the published set: floor hue 10, wall hue 10, object hue 10 (hues 0, 0.1, .., 0.9 at
full saturation), scale 8 (0.75..1.25), shape 4 (cube, cylinder, sphere, capsule), orientation 15 (camera
azimuth -30..30 degrees). The geometry depends only on (scale, shape, orientation), so each of those 480
views is traced once into per-surface coverage maps (floor, wall, object; Lambert-shaded, 2x2 supersampled)
and an image is the sum of the three maps times the three hues' colours. It is a look-alike, not a copy:
lighting, camera and room proportions are chosen by eye, and there are no shadows.
"""

from __future__ import annotations

import colorsys
from functools import lru_cache

import numpy as np

FACTOR_SIZES = (10, 10, 10, 8, 4, 15)
IMAGE_SIZE = 64
SUPERSAMPLE = 2
RENDER_VERSION = 1

HUES = np.linspace(0.0, 1.0, 10, endpoint=False)
SCALES = np.linspace(0.75, 1.25, 8)
AZIMUTHS_DEG = np.linspace(-30.0, 30.0, 15)
ROOM_HALF_WIDTH, ROOM_BACK = 5.0, 4.0  # side walls at x = +-5, back wall at z = 4
CAMERA_DISTANCE, CAMERA_HEIGHT, LOOK_AT_HEIGHT, FOCAL = 5.0, 2.6, 0.9, 1.5
OBJECT_SIZE = 0.75  # half-extent of the object at scale 1
LIGHT = np.array([-0.45, 0.8, -0.4]) / np.linalg.norm([-0.45, 0.8, -0.4])
AMBIENT = 0.45
MARCH_STEPS, HIT_EPSILON = 64, 1e-3
FLOOR, WALL, OBJECT = 0, 1, 2


def hue_colours() -> np.ndarray:
    """RGB float [10, 3] of the ten hues at full saturation and value."""
    return np.array([colorsys.hsv_to_rgb(h, 1.0, 1.0) for h in HUES], dtype=np.float32)


def render_factors(factors: np.ndarray) -> np.ndarray:
    """Look-alike 3D Shapes images for factor rows [n, 6]: uint8 [n, 64, 64, 3]."""
    factors = np.asarray(factors, dtype=np.int64)
    views = np.ravel_multi_index(tuple(factors[:, 3:].T), FACTOR_SIZES[3:])
    coverage = np.stack([_view_coverage(int(v)) for v in views])  # [n, 3, H, W]
    colours = hue_colours()[factors[:, :3]]  # [n, 3 surfaces, 3 channels]
    image = np.einsum("nshw,nsc->nhwc", coverage, colours, optimize=True)  # in [0, 1]: coverages sum to <= 1
    return (image * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)


@lru_cache(maxsize=len(SCALES) * 4 * len(AZIMUTHS_DEG))
def _view_coverage(view: int) -> np.ndarray:
    """Shaded coverage float32 [3 (floor, wall, object), 64, 64] of a (scale, shape, orientation) view."""
    scale_id, shape_id, azimuth_id = np.unravel_index(view, FACTOR_SIZES[3:])
    origin, directions = _camera_rays(np.deg2rad(AZIMUTHS_DEG[azimuth_id]))
    surface, shade = _trace(origin, directions, int(shape_id), OBJECT_SIZE * SCALES[scale_id])
    coverage = np.stack([np.where(surface == s, shade, 0.0) for s in (FLOOR, WALL, OBJECT)])
    coverage = coverage.reshape(3, IMAGE_SIZE, SUPERSAMPLE, IMAGE_SIZE, SUPERSAMPLE).mean(axis=(2, 4))
    return coverage.astype(np.float32)


def _camera_rays(azimuth: float) -> tuple[np.ndarray, np.ndarray]:
    """Camera origin [3] and unit ray directions [(64 S)^2, 3] of the camera orbiting at `azimuth`."""
    origin = np.array([CAMERA_DISTANCE * np.sin(azimuth), CAMERA_HEIGHT, -CAMERA_DISTANCE * np.cos(azimuth)])
    forward = np.array([0.0, LOOK_AT_HEIGHT, 0.0]) - origin
    forward /= np.linalg.norm(forward)
    right = np.cross([0.0, 1.0, 0.0], forward)
    right /= np.linalg.norm(right)
    up = np.cross(forward, right)
    size = IMAGE_SIZE * SUPERSAMPLE
    pixel = (np.arange(size) + 0.5) / size * 2.0 - 1.0  # -1 .. 1 across the image
    ys, xs = np.meshgrid(-pixel, pixel, indexing="ij")  # row 0 at the top
    directions = FOCAL * forward + xs[..., None] * right + ys[..., None] * up
    directions = directions.reshape(-1, 3)
    return origin, directions / np.linalg.norm(directions, axis=1, keepdims=True)


def _trace(
    origin: np.ndarray, directions: np.ndarray, shape_id: int, size: float
) -> tuple[np.ndarray, np.ndarray]:
    """Surface id and Lambert shade per ray: the room by ray-plane intersection, the object by sphere tracing.

    Only rays that enter the object's bounding sphere are traced, starting where they enter it.
    """
    room_t, surface, normal = _hit_room(origin, directions)
    entry, candidate = _enter_bounding_sphere(
        origin, directions, np.array([0.0, size, 0.0]), size * np.sqrt(3)
    )
    rays, limit = directions[candidate], room_t[candidate]
    t = entry[candidate]
    distance = np.full(t.shape, np.inf)
    for _ in range(MARCH_STEPS):
        distance = _object_distance(origin + t[:, None] * rays, shape_id, size)
        t = np.minimum(t + distance, limit)
    hit = (distance < HIT_EPSILON) & (t < limit)
    on_object = np.flatnonzero(candidate)[hit]
    surface[on_object] = OBJECT
    normal[on_object] = _object_normal(origin + t[hit, None] * rays[hit], shape_id, size)
    shade = AMBIENT + (1.0 - AMBIENT) * np.clip(normal @ LIGHT, 0.0, None)
    return surface, shade


def _enter_bounding_sphere(
    origin: np.ndarray, directions: np.ndarray, centre: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distance along each unit ray to where it enters the sphere, and whether it enters at all."""
    to_centre = centre - origin
    along = directions @ to_centre
    squared_miss = to_centre @ to_centre - along**2
    enters = squared_miss < radius**2
    return np.maximum(along - np.sqrt(np.maximum(radius**2 - squared_miss, 0.0)), 0.0), enters


def _hit_room(origin: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest hit of each ray with the floor (y = 0) and the three walls: distance, surface id, normal."""
    planes = [  # (axis, position, inward normal, surface)
        (1, 0.0, (0.0, 1.0, 0.0), FLOOR),
        (2, ROOM_BACK, (0.0, 0.0, -1.0), WALL),
        (0, ROOM_HALF_WIDTH, (-1.0, 0.0, 0.0), WALL),
        (0, -ROOM_HALF_WIDTH, (1.0, 0.0, 0.0), WALL),
    ]
    best_t = np.full(directions.shape[0], np.inf)
    surface = np.full(directions.shape[0], WALL)
    normal = np.zeros_like(directions)
    for axis, position, plane_normal, plane_surface in planes:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (position - origin[axis]) / directions[:, axis]
        closer = (t > 0) & (t < best_t)
        best_t = np.where(closer, t, best_t)
        surface = np.where(closer, plane_surface, surface)
        normal[closer] = plane_normal
    return best_t, surface, normal


def _object_distance(p: np.ndarray, shape_id: int, size: float) -> np.ndarray:
    """Signed distance [N] from points [N, 3] to the object standing on the floor at the origin."""
    q = p - np.array([0.0, size, 0.0])  # centred on the object
    if shape_id == 0:  # cube
        d = np.abs(q) - size
        return np.linalg.norm(np.maximum(d, 0.0), axis=1) + np.minimum(d.max(axis=1), 0.0)
    if shape_id == 1:  # upright cylinder
        d = np.stack([np.hypot(q[:, 0], q[:, 2]) - size, np.abs(q[:, 1]) - size], axis=1)
        return np.linalg.norm(np.maximum(d, 0.0), axis=1) + np.minimum(d.max(axis=1), 0.0)
    if shape_id == 2:  # sphere
        return np.linalg.norm(q, axis=1) - size
    radius = 0.6 * size  # upright capsule as tall as the others
    axis_y = np.clip(q[:, 1], -(size - radius), size - radius)
    return np.linalg.norm(q - axis_y[:, None] * np.array([0.0, 1.0, 0.0]), axis=1) - radius


def _object_normal(p: np.ndarray, shape_id: int, size: float) -> np.ndarray:
    """Unit surface normals [N, 3] of the object by central differences of its distance."""
    step = 1e-4
    gradient = np.stack(
        [
            _object_distance(p + offset, shape_id, size) - _object_distance(p - offset, shape_id, size)
            for offset in np.eye(3) * step
        ],
        axis=1,
    )
    return gradient / np.maximum(np.linalg.norm(gradient, axis=1, keepdims=True), 1e-12)
