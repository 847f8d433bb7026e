// What the field app keeps on the phone, in IndexedDB: the downloaded package, the outbox of
// records waiting for the server, the records it refused, the doors marked this outing, and a
// few settings (the device id, the last sync). A record and the door mark it makes are written
// in one transaction: the phone never shows a door as done whose record could be lost.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Outcome, Package } from '../lib/field-api';
import type { FieldRecord } from './records';
import type { OutboxItem, OutboxStore, Rejected } from './outbox';
import { uuidv7 } from './uuid';

/** A door's outcome recorded on this phone since the package was downloaded. */
export interface Mark { key: string; building_id: string; door_key: string; outcome: Outcome; at: string }

interface FieldSchema extends DBSchema {
  meta: { key: string; value: unknown };
  package: { key: string; value: Package };
  // UUIDv7 ids sort by time: the key order is the order records were made.
  outbox: { key: string; value: OutboxItem };
  rejected: { key: string; value: Rejected };
  marks: { key: string; value: Mark };
}

const STORES = ['meta', 'package', 'outbox', 'rejected', 'marks'] as const;

/** The phone's field database. */
export class FieldDb implements OutboxStore {
  private constructor(private db: IDBPDatabase<FieldSchema>) {}

  /** Opens (creating if needed) the database. */
  static async open(name = 'terrain-field'): Promise<FieldDb> {
    const db = await openDB<FieldSchema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('meta');
        d.createObjectStore('package');
        d.createObjectStore('outbox', { keyPath: 'id' });
        d.createObjectStore('rejected', { keyPath: 'id' });
        d.createObjectStore('marks', { keyPath: 'key' });
      },
    });
    return new FieldDb(db);
  }

  async meta<T>(key: string): Promise<T | undefined> {
    return (await this.db.get('meta', key)) as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.db.put('meta', value, key);
  }

  /** This phone's id, made once. */
  async deviceId(): Promise<string> {
    const id = await this.meta<string>('device');
    if (id) return id;
    const fresh = uuidv7();
    await this.setMeta('device', fresh);
    return fresh;
  }

  /** Makes a new device id (the server said the old one is someone else's). */
  async newDeviceId(): Promise<string> {
    const fresh = uuidv7();
    await this.setMeta('device', fresh);
    return fresh;
  }

  async package(): Promise<Package | undefined> {
    return this.db.get('package', 'current');
  }

  /** Keeps a freshly downloaded package; the marks of the previous one go (the server's
   * statuses now carry what was synced). */
  async savePackage(p: Package): Promise<void> {
    const tx = this.db.transaction(['package', 'marks'], 'readwrite');
    await tx.objectStore('package').put(p, 'current');
    await tx.objectStore('marks').clear();
    await tx.done;
  }

  /** Queues records with the door marks they make and, when the walker changed the building
   * (a door added, a count corrected), the package as it now is — all or nothing. */
  async enqueue(records: FieldRecord[], marks: Mark[] = [], pkg?: Package): Promise<void> {
    const tx = this.db.transaction(['outbox', 'marks', 'package'], 'readwrite');
    for (const r of records) await tx.objectStore('outbox').put({ id: r.id, record: r });
    for (const m of marks) await tx.objectStore('marks').put(m);
    if (pkg) await tx.objectStore('package').put(pkg, 'current');
    await tx.done;
  }

  async marks(): Promise<Mark[]> {
    return this.db.getAll('marks');
  }

  /** How many records wait for the server. */
  async count(): Promise<number> {
    return this.db.count('outbox');
  }

  async pending(limit: number): Promise<OutboxItem[]> {
    return this.db.getAll('outbox', undefined, limit);
  }

  async acknowledge(ids: string[]): Promise<void> {
    const tx = this.db.transaction('outbox', 'readwrite');
    for (const id of ids) await tx.store.delete(id);
    await tx.done;
  }

  async reject(items: Rejected[]): Promise<void> {
    const tx = this.db.transaction(['outbox', 'rejected'], 'readwrite');
    for (const r of items) {
      await tx.objectStore('rejected').put(r);
      await tx.objectStore('outbox').delete(r.id);
    }
    await tx.done;
  }

  async rejectedList(): Promise<Rejected[]> {
    return this.db.getAll('rejected');
  }

  /** The walker read why a record was refused and lets it go. */
  async dismiss(id: string): Promise<void> {
    await this.db.delete('rejected', id);
  }

  /** Forgets everything (signing out). */
  async clear(): Promise<void> {
    const tx = this.db.transaction([...STORES], 'readwrite');
    for (const s of STORES) await tx.objectStore(s).clear();
    await tx.done;
  }
}
