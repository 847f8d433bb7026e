// The turfs map: bureau outlines, turf hulls coloured by turf, the stops numbered in walking
// order (one marker each, coloured by turf, picked ones ringed), the selected turf's route,
// and a polygon being drawn. Blank background: nothing is fetched from elsewhere.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { FeatureCollection } from '../lib/api';
import { turfColor, type Turf } from '../lib/turf-api';
import { t } from '../i18n';

type Feature = FeatureCollection['features'][number];

export interface TurfMapProps {
  /** Hulls (and, for one bureau, routes and stops) from `turfs.geojson`. */
  data: FeatureCollection | null;
  /** Bureau contours, drawn as thin outlines. */
  outlines: FeatureCollection | null;
  turfs: Map<string, Turf>;
  selectedTurf: string | null;
  picked: ReadonlySet<string>;
  drawing: boolean;
  ring: Array<[number, number]>;
  onTurf: (id: string) => void;
  onStop: (address: string, turf: string) => void;
  onMapClick: (lon: number, lat: number) => void;
  /** The view is fitted to the data again when this changes. */
  fitKey: string;
}

const STATUS_FILL: Record<string, string> = { done: '#9aa0a6', checked_out: '#f4a236' };

/** The fill of a turf's hull: its colour, or the colour of its status once handed out. */
export function hullColor(turf: Turf | undefined): string {
  if (!turf) return '#c8c8c8';
  return STATUS_FILL[turf.status] ?? turfColor(turf.number);
}

/** The tooltip and accessible name of a stop's marker. */
export function stopTitle(turf: Turf | undefined, p: Record<string, unknown>): string {
  return t('turfs.stopTitle', {
    turf: turf?.number ?? '?',
    n: p.position as number,
    label: p.label as string,
    doors: p.doors as number,
  });
}

export function TurfMap(props: TurfMapProps) {
  const { data, outlines, turfs, selectedTurf, picked, drawing, ring, onTurf, onStop, onMapClick, fitKey } = props;
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const layers = useRef<{ outline?: L.Layer; hulls?: L.Layer; route?: L.Layer; stops?: L.LayerGroup; ring?: L.Layer }>({});
  const markers = useRef<Map<string, L.Marker>>(new Map());
  const fitted = useRef('');
  const clickRef = useRef(onMapClick);
  clickRef.current = onMapClick;
  const drawingRef = useRef(drawing);
  drawingRef.current = drawing;

  useEffect(() => {
    if (!el.current || map.current) return;
    const m = L.map(el.current, { renderer: L.canvas({ padding: 0.5 }), zoomSnap: 0.25, attributionControl: false, boxZoom: false })
      .setView([48.892, 2.347], 15);
    m.on('click', (e: L.LeafletMouseEvent) => {
      if (drawingRef.current) clickRef.current(e.latlng.lng, e.latlng.lat);
    });
    map.current = m;
    return () => {
      m.remove();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    if (!m) return;
    layers.current.outline?.remove();
    if (!outlines) return;
    layers.current.outline = L.geoJSON(outlines as unknown as GeoJSON.GeoJsonObject, {
      style: () => ({ color: '#6b6b6b', weight: 1, fill: false, dashArray: '4 3' }),
      interactive: false,
    }).addTo(m);
  }, [outlines]);

  // Hulls and the selected turf's route.
  useEffect(() => {
    const m = map.current;
    if (!m || !data) return;
    layers.current.hulls?.remove();
    layers.current.route?.remove();
    const hulls = data.features.filter((f: Feature) => f.properties.kind === 'turf');
    layers.current.hulls = L.geoJSON({ type: 'FeatureCollection', features: hulls } as unknown as GeoJSON.GeoJsonObject, {
      style: (f) => {
        const p = (f?.properties ?? {}) as Record<string, unknown>;
        const turf = turfs.get(p.id as string);
        const on = p.id === selectedTurf;
        return { color: on ? '#111' : hullColor(turf), weight: on ? 3 : 1.2, fillColor: hullColor(turf), fillOpacity: on ? 0.3 : 0.18 };
      },
      onEachFeature: (f, l) => {
        const p = f.properties as Record<string, unknown>;
        l.bindTooltip(p.label as string, { sticky: true });
        l.on('click', (e: L.LeafletMouseEvent) => {
          if (drawingRef.current) return;
          L.DomEvent.stopPropagation(e);
          onTurf(p.id as string);
        });
      },
    }).addTo(m);
    const route = data.features.find((f: Feature) => f.properties.kind === 'route' && f.properties.turf_id === selectedTurf);
    if (route) {
      const coords = (route.geometry as { coordinates: Array<[number, number]> }).coordinates.map(([lon, lat]) => L.latLng(lat, lon));
      layers.current.route = L.polyline(coords, { color: '#111', weight: 2.5, dashArray: '6 4', interactive: false }).addTo(m);
    }
    if (fitted.current !== fitKey && data.features.length > 0) {
      const b = (layers.current.hulls as L.GeoJSON).getBounds();
      if (b.isValid()) m.fitBounds(b, { padding: [16, 16], maxZoom: 18, animate: false });
      fitted.current = fitKey;
    }
  }, [data, turfs, selectedTurf, fitKey]);

  // Stops: one marker each, numbered in walking order.
  useEffect(() => {
    const m = map.current;
    if (!m || !data) return;
    layers.current.stops?.remove();
    markers.current.clear();
    const group = L.layerGroup();
    for (const f of data.features) {
      const p = f.properties;
      if (p.kind !== 'stop') continue;
      const [lon, lat] = (f.geometry as { coordinates: [number, number] }).coordinates;
      const turf = turfs.get(p.turf_id as string);
      const dim = selectedTurf !== null && p.turf_id !== selectedTurf;
      // Built as an element, its colour set through the DOM: the page's Content-Security-Policy
      // refuses inline style attributes.
      const dot = document.createElement('span');
      dot.style.background = turf ? turfColor(turf.number) : '#777';
      dot.textContent = String(p.position as number);
      const icon = L.divIcon({
        className: `stop-marker${dim ? ' dim' : ''}${p.visited ? ' visited' : ''}`,
        html: dot,
        iconSize: [20, 20],
      });
      const marker = L.marker([lat, lon], { icon, title: stopTitle(turf, p), keyboard: true, riseOnHover: true });
      marker.on('click', () => {
        if (!drawingRef.current) onStop(p.address_id as string, p.turf_id as string);
      });
      marker.addTo(group);
      markers.current.set(p.address_id as string, marker);
    }
    group.addTo(m);
    layers.current.stops = group;
  }, [data, turfs, selectedTurf]);

  // Picked stops are ringed.
  useEffect(() => {
    for (const [address, marker] of markers.current) {
      marker.getElement()?.classList.toggle('picked', picked.has(address));
    }
  }, [picked, data, turfs, selectedTurf]);

  // The polygon being drawn.
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    layers.current.ring?.remove();
    el.current?.classList.toggle('drawing', drawing);
    if (!drawing || ring.length === 0) return;
    const pts = ring.map(([lon, lat]) => L.latLng(lat, lon));
    layers.current.ring = (ring.length >= 3
      ? L.polygon(pts, { color: '#b3261e', weight: 2, dashArray: '5 4', fillOpacity: 0.08, interactive: false })
      : L.polyline(pts, { color: '#b3261e', weight: 2, dashArray: '5 4', interactive: false })
    ).addTo(m);
  }, [drawing, ring]);

  return html`<div class="geomap turf-map" ref=${el} role="application" aria-label=${t('turfs.mapLabel')} data-testid="turf-map"></div>`;
}
