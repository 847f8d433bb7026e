import { describe, expect, it } from 'vitest';
import { fit, svgPath } from '../src/lib/geomap';
import type { AreaCollection } from '../src/lib/api';

const square: AreaCollection = {
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { id: 'a', code: '75056_1801', name: 'Bureau 18-01' },
    geometry: { type: 'Polygon', coordinates: [[[2.34, 48.89], [2.36, 48.89], [2.36, 48.9], [2.34, 48.9], [2.34, 48.89]]] } }],
};

describe('the GeoJSON map', () => {
  it('fits the features and turns clicks back into longitude and latitude', () => {
    const p = fit(square, 400)!;
    expect(p.width).toBe(400);
    const [x, y] = p.toXY(2.35, 48.895);
    expect(x).toBeCloseTo(200, 0);
    const [lon, lat] = p.toLonLat(x, y);
    expect(lon).toBeCloseTo(2.35, 6);
    expect(lat).toBeCloseTo(48.895, 6);
    // North is up: a higher latitude is drawn higher.
    expect(p.toXY(2.35, 48.9)[1]).toBeLessThan(p.toXY(2.35, 48.89)[1]);
    // Proportions kept: a degree of longitude is shorter than a degree of latitude at 49° N.
    const k = Math.cos((48.895 * Math.PI) / 180);
    expect(p.height).toBe(Math.round((0.01 / (0.02 * k)) * 384 + 16));
  });

  it('draws polygons as closed SVG paths and skips empty collections', () => {
    const p = fit(square, 400)!;
    expect(svgPath(p, square.features[0].geometry)).toMatch(/^M[\d. ]+(L[\d. ]+){4}Z$/);
    expect(fit({ type: 'FeatureCollection', features: [] }, 400)).toBeNull();
  });
});
