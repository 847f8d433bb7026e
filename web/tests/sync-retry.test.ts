// A busy server (`429 server_busy` with `Retry-After`) is retried after its delay plus jitter;
// other failures wait for the regular triggers; the walker is told which failure it was.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import { errorKind, retryDelayMs } from '../src/field/sync';

describe('retrying a busy server', () => {
  it('waits Retry-After plus up to 4 s of jitter', () => {
    const busy = new ApiError(429, 'server_busy', 'busy', 1);
    expect(retryDelayMs(busy, () => 0)).toBe(1000);
    expect(retryDelayMs(busy, () => 0.5)).toBe(3000);
    expect(retryDelayMs(busy, () => 0.999)).toBe(4996);
    expect(retryDelayMs(new ApiError(429, 'server_busy', 'busy', 7), () => 0)).toBe(7000);
  });

  it('bounds a missing or absurd Retry-After', () => {
    expect(retryDelayMs(new ApiError(429, 'server_busy', 'busy', null), () => 0)).toBe(1000);
    expect(retryDelayMs(new ApiError(429, 'server_busy', 'busy', 0), () => 0)).toBe(1000);
    expect(retryDelayMs(new ApiError(429, 'server_busy', 'busy', 86400), () => 0)).toBe(60000);
  });

  it('leaves other failures to the regular triggers', () => {
    expect(retryDelayMs(new ApiError(503, 'database_unavailable', 'down', 5))).toBeNull();
    expect(retryDelayMs(new ApiError(0, 'network', 'offline'))).toBeNull();
    expect(retryDelayMs(new Error('boom'))).toBeNull();
  });

  it('names the failure for the walker', () => {
    expect(errorKind(new ApiError(429, 'server_busy', 'busy', 1))).toBe('busy');
    expect(errorKind(new ApiError(0, 'network', 'offline'))).toBe('network');
    expect(errorKind(new ApiError(401, 'unauthenticated', 'signed out'))).toBe('session');
    expect(errorKind(new ApiError(500, 'internal_error', 'oops'))).toBe('server');
    expect(errorKind(new TypeError('x'))).toBe('server');
  });
});
