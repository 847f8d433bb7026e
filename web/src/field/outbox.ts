// The outbox and its draining: records wait on the phone until the server acknowledges each
// one. A record leaves the outbox only when its acknowledgement says `stored` or `duplicate`
// (kept elsewhere when `rejected`, with the reason); a failed or cut-off upload leaves the
// outbox as it was, and the next upload sends the same records again — the server stores each
// one once, whatever the number of sends.
import type { FieldRecord } from './records';

/** A record waiting for its acknowledgement. */
export interface OutboxItem { id: string; record: FieldRecord }
/** A record the server refused, with why. */
export interface Rejected { id: string; record: FieldRecord; code: string; message: string; at: string }

/** Where the outbox lives (IndexedDB on the phone, memory in tests). */
export interface OutboxStore {
  /** The oldest `limit` waiting records. */
  pending(limit: number): Promise<OutboxItem[]>;
  /** Forgets acknowledged records. */
  acknowledge(ids: string[]): Promise<void>;
  /** Moves refused records out of the outbox, keeping them with their reason. */
  reject(items: Rejected[]): Promise<void>;
}

export interface Ack { id: string; status: 'stored' | 'duplicate' | 'rejected'; code?: string; message?: string }
export type Send = (records: FieldRecord[]) => Promise<{ acks: Ack[] }>;

export interface DrainReport { batches: number; stored: number; duplicates: number; rejected: number }

/** Sends the outbox batch by batch until it is empty. Throws what `send` throws (the network
 * gone, the session expired): what was acknowledged before stays acknowledged, the rest waits. */
export async function drain(store: OutboxStore, send: Send, batchSize = 100, now: () => string = () => new Date().toISOString()): Promise<DrainReport> {
  const report: DrainReport = { batches: 0, stored: 0, duplicates: 0, rejected: 0 };
  for (;;) {
    const items = await store.pending(batchSize);
    if (items.length === 0) return report;
    const { acks } = await send(items.map((i) => i.record));
    report.batches += 1;
    const byId = new Map(items.map((i) => [i.id, i]));
    const done: string[] = [];
    const refused: Rejected[] = [];
    for (const a of acks) {
      const item = byId.get(a.id);
      if (!item) continue;
      if (a.status === 'stored' || a.status === 'duplicate') {
        done.push(a.id);
        if (a.status === 'stored') report.stored += 1;
        else report.duplicates += 1;
      } else {
        refused.push({ id: a.id, record: item.record, code: a.code ?? 'rejected', message: a.message ?? '', at: now() });
        report.rejected += 1;
      }
      byId.delete(a.id);
    }
    if (done.length) await store.acknowledge(done);
    if (refused.length) await store.reject(refused);
    // Records the server did not answer for stay; stop rather than loop on them.
    if (done.length + refused.length === 0) return report;
  }
}

/** An outbox in memory, for tests and for phones without IndexedDB. */
export class MemoryOutbox implements OutboxStore {
  items: OutboxItem[] = [];
  rejected: Rejected[] = [];

  add(record: FieldRecord): void {
    this.items.push({ id: record.id, record });
  }

  async pending(limit: number): Promise<OutboxItem[]> {
    return this.items.slice(0, limit);
  }

  async acknowledge(ids: string[]): Promise<void> {
    const gone = new Set(ids);
    this.items = this.items.filter((i) => !gone.has(i.id));
  }

  async reject(items: Rejected[]): Promise<void> {
    const gone = new Set(items.map((i) => i.id));
    this.items = this.items.filter((i) => !gone.has(i.id));
    // Like IndexedDB's keyed store: a record refused twice (two uploads at once) is kept once.
    this.rejected = [...this.rejected.filter((r) => !gone.has(r.id)), ...items.filter((r, i) => items.findIndex((x) => x.id === r.id) === i)];
  }
}
