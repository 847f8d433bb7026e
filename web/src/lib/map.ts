// A map of territories drawn from GeoJSON on a blank background: no tile server, nothing fetched
// from elsewhere. Leaflet's canvas renderer keeps 10,000+ polygons fluid.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { FeatureCollection } from './api';

export type Props = Record<string, unknown>;

export interface GeoMapProps {
  data: FeatureCollection | null;
  /** Fill colour of a feature. */
  color: (p: Props) => string;
  /** Whether a feature is drawn outlined (chosen by a plan). */
  highlight?: (p: Props) => boolean;
  /** The text shown on hover. */
  tooltip: (p: Props) => string;
  onSelect?: (p: Props) => void;
  selected?: string | null;
  label: string;
}

export function GeoMap({ data, color, highlight, tooltip, onSelect, selected, label }: GeoMapProps) {
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const layer = useRef<L.GeoJSON | null>(null);
  const fitted = useRef<string>('');

  useEffect(() => {
    if (!el.current || map.current) return;
    map.current = L.map(el.current, {
      renderer: L.canvas({ padding: 0.5 }),
      zoomSnap: 0.25,
      attributionControl: false,
      preferCanvas: true,
    }).setView([46.6, 2.4], 6);
    return () => {
      map.current?.remove();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    if (!m || !data) return;
    layer.current?.remove();
    const geo = L.geoJSON(data as unknown as GeoJSON.GeoJsonObject, {
      style: (f) => {
        const p = (f?.properties ?? {}) as Props;
        const on = highlight?.(p) ?? false;
        const isSelected = selected && p.id === selected;
        return {
          color: isSelected ? '#111' : on ? '#1c2321' : '#ffffff',
          weight: isSelected ? 3 : on ? 1.6 : 0.6,
          fillColor: color(p),
          fillOpacity: 0.78,
        };
      },
      onEachFeature: (f, l) => {
        const p = (f.properties ?? {}) as Props;
        l.bindTooltip(tooltip(p), { sticky: true });
        if (onSelect) l.on('click', () => onSelect(p));
      },
    }).addTo(m);
    layer.current = geo;
    // Fit the view once per data set, not at every restyle.
    const key = `${data.features.length}:${data.features[0]?.properties?.id ?? ''}`;
    if (fitted.current !== key && data.features.length > 0) {
      const b = geo.getBounds();
      if (b.isValid()) m.fitBounds(b, { padding: [12, 12] });
      fitted.current = key;
    }
  }, [data, color, highlight, tooltip, onSelect, selected]);

  return html`<div class="geomap" ref=${el} role="img" aria-label=${label} data-testid="map"></div>`;
}

/** The colours of the political blocs (left to right), and of classes of priority. */
export const BLOC_COLORS: Record<string, string> = {
  far_left: '#8b1a1a',
  left: '#e4505d',
  ecologist: '#3a9d5d',
  centre: '#f2b632',
  right: '#2f6fb5',
  far_right: '#1e2a55',
  regionalist: '#a0785a',
  other: '#9aa0a6',
  unknown: '#c8c8c8',
};

export const CLASS_COLORS: Record<string, string> = {
  red: '#d7301f',
  orange: '#fc8d59',
  yellow: '#fdd84a',
  none: '#e6e3dc',
};

/** A sequential colour for a value in [0, 1] (light to dark green). */
export function ramp(v: number): string {
  const stops = ['#f1f7ee', '#c7e3c0', '#8fc79c', '#4fa27a', '#1f7a5c', '#0b4f3c'];
  const x = Math.max(0, Math.min(0.9999, v)) * (stops.length - 1);
  return stops[Math.floor(x + 0.5)];
}
