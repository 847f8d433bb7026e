import { describe, expect, it } from 'vitest';
import { doorsOf, nextDoor, stopProgress } from '../src/field/pkg';
import { localIso } from '../src/field/records';
import { uuidv7 } from '../src/field/uuid';
import type { Mark } from '../src/field/db';
import type { PackageBuilding, Stop } from '../src/lib/field-api';

const building: PackageBuilding = {
  id: 'B',
  label: '',
  doors: 4,
  units: [{ id: 'U', floor: 2, label: 'Gardien' }],
  door_status: [
    { door: { number: 2 }, last_outcome: 'not_home', last_at: '2026-11-20T10:00:00Z', do_not_knock: false },
    { door: { number: 3 }, last_outcome: 'do_not_knock', last_at: '2026-11-20T10:00:00Z', do_not_knock: true },
  ],
};

const mark = (door: string, outcome: Mark['outcome']): [string, Mark] => [
  `B|${door}`,
  { key: `B|${door}`, building_id: 'B', door_key: door, outcome, at: '2026-11-28T10:00:00Z' },
];

describe('doors of a package', () => {
  it('lists counted doors then named ones, with what is known', () => {
    const doors = doorsOf(building, new Map([mark('n:1', 'refused')]));
    expect(doors.map((d) => d.key)).toEqual(['n:1', 'n:2', 'n:3', 'n:4', 'u:U']);
    expect(doors[0]).toMatchObject({ outcome: 'refused', mine: true });
    expect(doors[1]).toMatchObject({ outcome: 'not_home', mine: false });
    expect(doors[2].doNotKnock).toBe(true);
    expect(doors[4]).toMatchObject({ label: 'Gardien', floor: 2 });
  });

  it('moves on to the next door to knock on, skipping those not to knock on', () => {
    const doors = doorsOf(building, new Map([mark('n:1', 'refused'), mark('n:4', 'not_home')]));
    expect(nextDoor(doors)?.key).toBe('n:2');
    expect(nextDoor(doors, 'n:2')?.key).toBe('u:U');
    expect(nextDoor(doors, 'u:U')?.key).toBe('n:2');
    const all = doorsOf(building, new Map([mark('n:1', 'x' as never), mark('n:2', 'refused'), mark('n:4', 'refused'), mark('u:U', 'refused')]));
    expect(nextDoor(all)).toBeUndefined();
  });

  it('counts a stop’s progress without the doors not to knock on', () => {
    const stop = { buildings: [building] } as unknown as Stop;
    expect(stopProgress(stop, new Map([mark('n:1', 'refused')]))).toEqual({ done: 1, total: 4 });
    expect(stopProgress(stop, new Map([mark('n:2', 'do_not_knock')]))).toEqual({ done: 1, total: 4 });
  });
});

describe('record ids and times', () => {
  it('makes time-ordered UUIDv7', () => {
    const a = uuidv7(1_780_000_000_000);
    const b = uuidv7(1_780_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => uuidv7())).size).toBe(1000);
  });

  it('writes local times with their offset', () => {
    const s = localIso(new Date('2026-11-28T09:15:00Z'));
    expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    expect(new Date(s).toISOString()).toBe('2026-11-28T09:15:00.000Z');
  });
});
