// The outbox converges to exactly-once: records are made at random moments, uploads fail before
// reaching the server, fail after it stored them (the answer lost), run twice at once, and the
// server refuses some records. Whatever the schedule, no record is ever lost on the way (it is
// always in the outbox, on the server, or among the refused) and, once the network holds, the
// server holds each accepted record exactly once and the outbox is empty.
import { describe, expect, it } from 'vitest';
import { drain, MemoryOutbox, type Ack } from '../src/field/outbox';
import type { FieldRecord } from '../src/field/records';
import { visit } from '../src/field/records';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** A server with the sync contract: each id stored once, refused ones never. */
class FakeServer {
  stored = new Map<string, FieldRecord>();
  storeCalls = new Map<string, number>();
  refuse = new Set<string>();
  async handle(records: FieldRecord[]): Promise<{ acks: Ack[] }> {
    const acks: Ack[] = records.map((r) => {
      if (this.refuse.has(r.id)) return { id: r.id, status: 'rejected', code: 'invalid_record', message: 'refusé' };
      if (this.stored.has(r.id)) return { id: r.id, status: 'duplicate' };
      this.stored.set(r.id, r);
      this.storeCalls.set(r.id, (this.storeCalls.get(r.id) ?? 0) + 1);
      return { id: r.id, status: 'stored' };
    });
    return { acks };
  }
}

describe('the outbox', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`converges to exactly-once (schedule ${seed})`, async () => {
      const rand = rng(seed);
      const box = new MemoryOutbox();
      const server = new FakeServer();
      const made: FieldRecord[] = [];
      const check = () => {
        const inBox = new Set(box.items.map((i) => i.id));
        const refused = new Set(box.rejected.map((r) => r.id));
        for (const r of made) {
          expect(inBox.has(r.id) || server.stored.has(r.id) || refused.has(r.id), `record ${r.id} lost`).toBe(true);
        }
      };
      // A network that sometimes fails before the server, sometimes after.
      const flaky = async (records: FieldRecord[]) => {
        const roll = rand();
        if (roll < 0.25) throw new Error('network down');
        const answer = await server.handle(records);
        if (roll < 0.45) throw new Error('answer lost');
        return answer;
      };
      for (let step = 0; step < 60; step++) {
        const roll = rand();
        if (roll < 0.5) {
          const r = visit(`a${Math.floor(rand() * 5)}`, 'b', { number: 1 + Math.floor(rand() * 9) }, 'not_home');
          if (rand() < 0.05) server.refuse.add(r.id);
          made.push(r);
          box.add(r);
        } else if (roll < 0.85) {
          await drain(box, flaky, 1 + Math.floor(rand() * 7)).catch(() => {});
        } else {
          // Two uploads at once (two tabs, or a retry racing the first).
          await Promise.all([
            drain(box, flaky, 1 + Math.floor(rand() * 7)).catch(() => {}),
            drain(box, flaky, 1 + Math.floor(rand() * 7)).catch(() => {}),
          ]);
        }
        check();
      }
      await drain(box, (rs) => server.handle(rs), 5);
      check();
      expect(box.items).toEqual([]);
      const accepted = made.filter((r) => !server.refuse.has(r.id));
      expect([...server.stored.keys()].sort()).toEqual(accepted.map((r) => r.id).sort());
      for (const n of server.storeCalls.values()) expect(n).toBe(1);
      expect(box.rejected.map((r) => r.id).sort()).toEqual(made.filter((r) => server.refuse.has(r.id)).map((r) => r.id).sort());
    });
  }

  it('keeps records the server did not answer for, and stops instead of looping', async () => {
    const box = new MemoryOutbox();
    const a = visit('a', 'b', { number: 1 }, 'refused');
    const b = visit('a', 'b', { number: 2 }, 'refused');
    box.add(a);
    box.add(b);
    let calls = 0;
    const report = await drain(box, async () => {
      calls += 1;
      return { acks: [{ id: a.id, status: 'stored' }] };
    });
    expect(report.stored).toBe(1);
    expect(box.items.map((i) => i.id)).toEqual([b.id]);
    const again = await drain(box, async () => {
      calls += 1;
      return { acks: [] };
    });
    expect(again.batches).toBe(1);
    expect(box.items.map((i) => i.id)).toEqual([b.id]);
    expect(calls).toBe(3);
  });
});
