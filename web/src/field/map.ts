// A map without tiles: the package's contours (GeoJSON) and its stops, drawn as SVG in a local
// equirectangular projection (good enough at the scale of a bureau de vote). Nothing is fetched.
import { html } from 'htm/preact';
import type { GeoFeature } from '../lib/field-api';

export type PointState = 'todo' | 'partial' | 'done';
export interface MapPoint { id: string; lon: number; lat: number; state: PointState; label: string }

type Ring = [number, number][];

function rings(f: GeoFeature): Ring[] {
  const c = f.geometry.coordinates as unknown;
  if (f.geometry.type === 'Polygon') return c as Ring[];
  if (f.geometry.type === 'MultiPolygon') return (c as Ring[][]).flat();
  return [];
}

/** The projection of a set of positions into a `width`-wide box, north up. */
export function projection(positions: [number, number][], width = 1000, pad = 0.06) {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lon, lat] of positions) {
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
    minX = Math.min(minX, lon);
    maxX = Math.max(maxX, lon);
    minY = Math.min(minY, lat);
    maxY = Math.max(maxY, lat);
  }
  if (!Number.isFinite(minX)) [minX, minY, maxX, maxY] = [0, 0, 1, 1];
  const k = Math.cos((((minY + maxY) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxX - minX) * k, 1e-6);
  const spanY = Math.max(maxY - minY, 1e-6);
  const inner = width * (1 - 2 * pad);
  const scale = inner / Math.max(spanX, spanY);
  const w = width;
  const h = Math.max(spanY * scale + width * 2 * pad, width * 0.45);
  const offY = (h - spanY * scale) / 2;
  const offX = (w - spanX * scale) / 2;
  return {
    width: w,
    height: h,
    at: (lon: number, lat: number): [number, number] => [offX + (lon - minX) * k * scale, offY + (maxY - lat) * scale],
  };
}

export function FieldMap({ features, points, selected, onPick, route = false }: {
  features: GeoFeature[];
  points: MapPoint[];
  selected?: string | null;
  onPick?: (id: string) => void;
  /** Join the points in their order: the walk of a turf. */
  route?: boolean;
}) {
  // A turf's map frames the turf (its outline and stops); the bureau around it is cut off.
  const turf = features.some((f) => f.properties.kind === 'turf');
  const all: [number, number][] = points.map((p) => [p.lon, p.lat]);
  for (const f of features) if (!turf || f.properties.kind === 'turf') for (const r of rings(f)) all.push(...r);
  const p = projection(all);
  const path = (r: Ring) => r.map(([x, y], i) => `${i ? 'L' : 'M'}${p.at(x, y).map((v) => v.toFixed(1)).join(' ')}`).join(' ') + ' Z';
  const dot = Math.max(7, p.width / 90);
  return html`
    <svg class="field-map" viewBox=${`0 0 ${p.width} ${p.height.toFixed(0)}`} role="img" aria-label="Carte du secteur">
      ${features.map((f) => html`<path class=${f.properties.kind === 'turf' ? 'contour turf' : 'contour'} d=${rings(f).map(path).join(' ')} />`)}
      ${route && points.length > 1 && html`<polyline class="route" points=${points.map((pt) => p.at(pt.lon, pt.lat).map((v) => v.toFixed(1)).join(',')).join(' ')} />`}
      ${points.map((pt) => {
        const [x, y] = p.at(pt.lon, pt.lat);
        return html`<g class=${`stop ${pt.state} ${selected === pt.id ? 'selected' : ''}`} onClick=${() => onPick?.(pt.id)}>
          <title>${pt.label}</title>
          <circle cx=${x.toFixed(1)} cy=${y.toFixed(1)} r=${(dot * 2.2).toFixed(1)} class="hit" />
          <circle cx=${x.toFixed(1)} cy=${y.toFixed(1)} r=${dot.toFixed(1)} />
        </g>`;
      })}
    </svg>`;
}
