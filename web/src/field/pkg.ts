// Reading a package: the doors of a building (counted ones, then named ones) with what is known
// of each — the server's last outcome, overridden by what this phone recorded since — and the
// next door to knock on.
import type { DoorRef, Outcome, PackageBuilding, Stop } from '../lib/field-api';
import type { Mark } from './db';

/** A door as the walker sees it. */
export interface DoorView {
  key: string;
  ref: DoorRef;
  /** `3` for a counted door, the walker's label for a named one. */
  label: string;
  floor: number | null;
  /** The latest outcome: this phone's since the download, else the server's. */
  outcome: Outcome | null;
  /** True when the outcome was recorded on this phone during this outing. */
  mine: boolean;
  /** Never knock here. */
  doNotKnock: boolean;
}

/** The stable key of a door in its building, as the server writes it. */
export function doorKey(ref: DoorRef): string {
  return ref.unit ? `u:${ref.unit}` : `n:${ref.number ?? 0}`;
}

/** The key of a door's mark. */
export function markKey(buildingId: string, ref: DoorRef): string {
  return `${buildingId}|${doorKey(ref)}`;
}

/** The doors of a building, counted ones first. */
export function doorsOf(b: PackageBuilding, marks: Map<string, Mark>): DoorView[] {
  const server = new Map(b.door_status.map((d) => [doorKey(d.door), d]));
  const refs: { ref: DoorRef; label: string; floor: number | null }[] = [];
  for (let n = 1; n <= b.doors; n++) refs.push({ ref: { number: n }, label: String(n), floor: null });
  const units = [...b.units].sort((x, y) => (x.floor ?? -99) - (y.floor ?? -99) || x.label.localeCompare(y.label, 'fr'));
  for (const u of units) refs.push({ ref: { unit: u.id }, label: u.label, floor: u.floor });
  return refs.map(({ ref, label, floor }) => {
    const key = doorKey(ref);
    const s = server.get(key);
    const m = marks.get(`${b.id}|${key}`);
    return {
      key,
      ref,
      label,
      floor,
      outcome: m?.outcome ?? s?.last_outcome ?? null,
      mine: Boolean(m),
      doNotKnock: Boolean(s?.do_not_knock) || m?.outcome === 'do_not_knock',
    };
  });
}

/** The next door to knock on after `after` (or the first): not done on this outing, not
 * "do not knock". */
export function nextDoor(doors: DoorView[], after?: string): DoorView | undefined {
  const start = after ? doors.findIndex((d) => d.key === after) + 1 : 0;
  const open = (d: DoorView) => !d.mine && !d.doNotKnock;
  return doors.slice(start).find(open) ?? doors.slice(0, start).find(open);
}

/** Doors done on this outing and knockable doors, for a stop. */
export function stopProgress(stop: Stop, marks: Map<string, Mark>): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const b of stop.buildings) {
    for (const d of doorsOf(b, marks)) {
      if (d.doNotKnock && !d.mine) continue;
      total += 1;
      if (d.mine) done += 1;
    }
  }
  return { done, total };
}
