// The records a walker makes, in the shape the server's sync endpoint reads: each with its own
// UUIDv7 and the phone's local time (with its offset, so the server knows the local day).
import type { Answers } from '../lib/questionnaire';
import type { DoorRef, Outcome } from '../lib/field-api';
import { uuidv7 } from './uuid';

export interface VisitRecord {
  id: string; at: string; kind: 'visit';
  address_id: string; building_id: string; door: DoorRef | null; outcome: Outcome; turf_id: string | null;
}
export interface Contact { name: string; phone: string | null; email: string | null }
export interface ResponseRecord {
  id: string; at: string; kind: 'response';
  version_id: string; address_id: string; answers: Answers; contact: Contact | null;
}
export interface UnitRecord { id: string; at: string; kind: 'unit'; building_id: string; floor: number | null; label: string }
export interface DoorCountRecord { id: string; at: string; kind: 'door_count'; building_id: string; doors: number }
export type FieldRecord = VisitRecord | ResponseRecord | UnitRecord | DoorCountRecord;

/** `2026-11-28T10:15:00.123+01:00`: local time with its offset. */
export function localIso(d: Date = new Date()): string {
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

export function visit(address_id: string, building_id: string, door: DoorRef | null, outcome: Outcome, turf_id: string | null = null): VisitRecord {
  return { id: uuidv7(), at: localIso(), kind: 'visit', address_id, building_id, door, outcome, turf_id };
}

export function response(version_id: string, address_id: string, answers: Answers, contact: Contact | null): ResponseRecord {
  return { id: uuidv7(), at: localIso(), kind: 'response', version_id, address_id, answers, contact };
}

export function unit(building_id: string, floor: number | null, label: string): UnitRecord {
  return { id: uuidv7(), at: localIso(), kind: 'unit', building_id, floor, label };
}

export function doorCount(building_id: string, doors: number): DoorCountRecord {
  return { id: uuidv7(), at: localIso(), kind: 'door_count', building_id, doors };
}
