import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, request, setCsrfToken } from '../src/lib/api';

type Call = { url: string; init: RequestInit };

function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: Call[] = [];
  const impl = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(body === null ? null : JSON.stringify(body), { status, headers });
  }) as unknown as typeof fetch;
  return { calls, impl };
}

afterEach(() => setCsrfToken(null));

describe('the API client', () => {
  it('sends the anti-CSRF token on writes only', async () => {
    setCsrfToken('tok');
    const f = fakeFetch(200, { ok: true });
    await request('POST', '/x', { a: 1 }, f.impl);
    await request('GET', '/y', undefined, f.impl);
    const post = f.calls[0].init.headers as Record<string, string>;
    const get = f.calls[1].init.headers as Record<string, string>;
    expect(f.calls[0].url).toBe('/api/v1/x');
    expect(post['x-csrf-token']).toBe('tok');
    expect(post['content-type']).toBe('application/json');
    expect(get['x-csrf-token']).toBeUndefined();
    expect(f.calls[0].init.body).toBe('{"a":1}');
  });

  it('turns error bodies into ApiError with the stable code', async () => {
    const f = fakeFetch(429, { code: 'too_many_attempts', message: 'wait' }, { 'retry-after': '30' });
    const err = await request('POST', '/auth/login', {}, f.impl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('too_many_attempts');
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).retryAfter).toBe(30);
  });

  it('reports a network failure as code "network"', async () => {
    const impl = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    const err = await request('GET', '/x', undefined, impl).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('network');
  });

  it('accepts 204 with no body', async () => {
    const f = fakeFetch(204, null);
    await expect(request('POST', '/auth/logout', undefined, f.impl)).resolves.toBeUndefined();
  });
});
