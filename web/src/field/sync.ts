// Sending the outbox: at start, when the network comes back (`online`), when the app comes back
// to the foreground, every 20 s while records wait, right after a record is made, and when the
// walker asks. One upload at a time (across tabs too, with the Web Locks API when there is one).
import { api, ApiError, hasCsrfToken, setCsrfToken } from '../lib/api';
import { fieldApi } from '../lib/field-api';
import type { FieldDb } from './db';
import { drain } from './outbox';

export interface SyncState {
  waiting: number;
  rejected: number;
  syncing: boolean;
  /** When the outbox was last emptied (ISO). */
  lastSync: string | null;
  /** `network`, `session` or `server` when the last attempt failed. */
  lastError: string | null;
}

type Listener = (s: SyncState) => void;

/**
 * How long to wait before sending again after a failed upload, when the server said when
 * (`429 server_busy` with `Retry-After`): its delay plus up to 4 s of jitter, so that phones
 * turned away together do not all come back in the same second. `null`: no hint, the regular
 * triggers (every 20 s, network back, foreground) send again.
 */
export function retryDelayMs(e: unknown, random: () => number = Math.random): number | null {
  if (!(e instanceof ApiError) || e.status !== 429) return null;
  const secs = Math.min(Math.max(e.retryAfter ?? 1, 1), 60);
  return Math.round(secs * 1000 + random() * 4000);
}

/** What the walker is told about a failed upload: `network`, `session`, `busy` or `server`. */
export function errorKind(e: unknown): string {
  if (!(e instanceof ApiError)) return 'server';
  if (e.code === 'network') return 'network';
  if (e.status === 401) return 'session';
  if (e.status === 429) return 'busy';
  return 'server';
}

/** The field app's uploader. */
export class Syncer {
  state: SyncState = { waiting: 0, rejected: 0, syncing: false, lastSync: null, lastError: null };
  private listeners = new Set<Listener>();
  private running: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private readonly onOnline = () => void this.syncNow();
  private readonly onVisible = () => {
    if (document.visibilityState === 'visible') void this.syncNow();
  };

  constructor(private db: FieldDb, private campaign: () => string | null) {}

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    fn(this.state);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<SyncState>) {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  /** Recounts what waits and what was refused. */
  async refresh(): Promise<void> {
    const [waiting, rejected, lastSync] = await Promise.all([
      this.db.count(),
      this.db.rejectedList().then((r) => r.length),
      this.db.meta<string>('lastSync'),
    ]);
    this.set({ waiting, rejected, lastSync: lastSync ?? null });
  }

  /** Starts the triggers and a first upload. */
  start(): void {
    addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.timer = setInterval(() => {
      if (this.state.waiting > 0 && navigator.onLine) void this.syncNow();
    }, 20_000);
    void this.refresh().then(() => this.syncNow());
  }

  stop(): void {
    removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  /** Uploads what waits; resolves when done or failed (never throws). */
  syncNow(): Promise<void> {
    if (!this.running) {
      this.running = this.withLock(() => this.run()).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async withLock(f: () => Promise<void>): Promise<void> {
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks) return f();
    await locks.request('terrain-field-sync', () => f());
  }

  private async run(): Promise<void> {
    const campaign = this.campaign();
    await this.refresh();
    if (!campaign || this.state.waiting === 0) {
      if (this.state.waiting === 0) this.set({ lastError: null });
      return;
    }
    this.set({ syncing: true });
    let device = await this.db.deviceId();
    let renewed = false;
    let refreshed = false;
    const send = async (records: Parameters<typeof fieldApi.sync>[1]['records']): Promise<Awaited<ReturnType<typeof fieldApi.sync>>> => {
      try {
        return await fieldApi.sync(campaign, { device_id: device, records });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'device_not_yours' && !renewed) {
          renewed = true;
          device = await this.db.newDeviceId();
          return send(records);
        }
        // The token changed (signed in again in another tab): the session gives the new one.
        if (e instanceof ApiError && e.code.startsWith('csrf_token') && !refreshed) {
          refreshed = true;
          setCsrfToken((await api.session()).csrf_token);
          return send(records);
        }
        throw e;
      }
    };
    try {
      // Opened offline, the app has no anti-CSRF token yet: the session gives it.
      if (!hasCsrfToken()) setCsrfToken((await api.session()).csrf_token);
      await drain(this.db, send);
      const now = new Date().toISOString();
      await this.db.setMeta('lastSync', now);
      this.set({ lastError: null });
    } catch (e) {
      this.set({ lastError: errorKind(e) });
      // A busy server says when to come back: sooner than the 20 s timer.
      const delay = retryDelayMs(e);
      if (delay !== null && this.timer) {
        if (this.retry) clearTimeout(this.retry);
        this.retry = setTimeout(() => {
          this.retry = null;
          void this.syncNow();
        }, delay);
      }
    } finally {
      await this.refresh();
      this.set({ syncing: false });
    }
  }
}
