// A map drawn from GeoJSON in SVG, with no tiles and no network: bureau contours to click,
// and a point to place (a sortie's meeting point). Equirectangular projection scaled by the
// cosine of the middle latitude: faithful enough at the scale of a city.
import { html } from 'htm/preact';
import type { AreaCollection } from './api';

type Ring = [number, number][];

/** The rings of a Polygon or MultiPolygon. */
export function rings(geometry: { type: string; coordinates: unknown }): Ring[] {
  if (geometry.type === 'Polygon') return geometry.coordinates as Ring[];
  if (geometry.type === 'MultiPolygon') return (geometry.coordinates as Ring[][]).flat();
  return [];
}

export interface Projection {
  width: number;
  height: number;
  toXY: (lon: number, lat: number) => [number, number];
  toLonLat: (x: number, y: number) => [number, number];
}

/** A projection fitting the features (and extra points) into `width`, keeping proportions. */
export function fit(fc: AreaCollection, width: number, extra: [number, number][] = [], pad = 8): Projection | null {
  let [minLon, minLat, maxLon, maxLat] = [Infinity, Infinity, -Infinity, -Infinity];
  const see = ([lon, lat]: [number, number]) => {
    minLon = Math.min(minLon, lon);
    maxLon = Math.max(maxLon, lon);
    minLat = Math.min(minLat, lat);
    maxLat = Math.max(maxLat, lat);
  };
  for (const f of fc.features) for (const r of rings(f.geometry)) r.forEach(see);
  extra.forEach(see);
  if (!Number.isFinite(minLon)) return null;
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxLon - minLon) * k, 1e-9);
  const spanY = Math.max(maxLat - minLat, 1e-9);
  const scale = (width - 2 * pad) / spanX;
  const height = Math.round(spanY * scale + 2 * pad);
  return {
    width,
    height,
    toXY: (lon, lat) => [pad + (lon - minLon) * k * scale, pad + (maxLat - lat) * scale],
    toLonLat: (x, y) => [minLon + (x - pad) / (k * scale), maxLat - (y - pad) / scale],
  };
}

/** The SVG path of a feature's geometry. */
export function svgPath(p: Projection, geometry: { type: string; coordinates: unknown }): string {
  return rings(geometry)
    .map((r) => r.map(([lon, lat], i) => `${i ? 'L' : 'M'}${p.toXY(lon, lat).map((v) => v.toFixed(1)).join(' ')}`).join('') + 'Z')
    .join('');
}

export function GeoMap({ fc, width = 640, selected = [], onArea, point, onPoint, label, highlight = [] }: {
  fc: AreaCollection; width?: number; selected?: string[]; highlight?: string[];
  onArea?: (id: string) => void; point?: [number, number] | null; onPoint?: (lonlat: [number, number]) => void; label: string;
}) {
  const p = fit(fc, width, point ? [point] : []);
  if (!p) return null;
  const click = (e: MouseEvent) => {
    if (!onPoint) return;
    const svg = (e.currentTarget as SVGSVGElement).getBoundingClientRect();
    const x = ((e.clientX - svg.left) / svg.width) * p.width;
    const y = ((e.clientY - svg.top) / svg.height) * p.height;
    onPoint(p.toLonLat(x, y));
  };
  const pin = point ? p.toXY(point[0], point[1]) : null;
  return html`
    <svg class="svgmap" viewBox=${`0 0 ${p.width} ${p.height}`} role="img" aria-label=${label} onClick=${click}>
      ${fc.features.map((f) => {
        const id = f.properties.id;
        const cls = selected.includes(id) ? 'area selected' : highlight.includes(id) ? 'area mine' : 'area';
        return html`<path class=${cls} d=${svgPath(p, f.geometry)} data-code=${f.properties.code}
          onClick=${onArea ? (e: Event) => { e.stopPropagation(); onArea(id); } : undefined}><title>${f.properties.name}</title></path>`;
      })}
      ${pin && html`<g class="pin" transform=${`translate(${pin[0].toFixed(1)} ${pin[1].toFixed(1)})`}>
        <circle r="9" /><circle r="3" class="dot" /></g>`}
    </svg>`;
}
