// Two pages — the coordinators' dashboard (/) and the walkers' field app (/field/) — and the
// field app's service worker, built to /field/sw.js with the list of files to precache written
// into it, so the field app opens without network after its first visit.
import { defineConfig, type Plugin } from 'vite';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const PUBLIC_FIELD = 'public/field';

function publicFieldFiles(dir = PUBLIC_FIELD): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? publicFieldFiles(p) : [relative('public', p).replaceAll('\\', '/')];
  });
}

/** Writes the precache list and a build id into the service worker chunk. */
function precacheManifest(): Plugin {
  return {
    name: 'terrain-precache-manifest',
    apply: 'build',
    // After Vite has emitted the HTML pages, so that they are listed too.
    enforce: 'post',
    generateBundle(_options, bundle) {
      const files: string[] = [];
      const hash = createHash('sha256');
      for (const [name, item] of Object.entries(bundle)) {
        if (name === 'field/sw.js' || name.endsWith('.map') || name === 'index.html') continue;
        files.push(name);
        hash.update(name);
        if (item.type === 'asset') hash.update(typeof item.source === 'string' ? item.source : Buffer.from(item.source));
      }
      for (const f of publicFieldFiles()) {
        files.push(f);
        hash.update(f);
        hash.update(readFileSync(join('public', f)));
      }
      const urls = files.map((f) => '/' + f).map((u) => (u === '/field/index.html' ? '/field/' : u)).sort();
      const sw = bundle['field/sw.js'];
      if (!sw || sw.type !== 'chunk') throw new Error('service worker chunk field/sw.js is missing');
      const build = hash.digest('hex').slice(0, 16);
      sw.code = sw.code
        .replace(/["'`]__PRECACHE_URLS__["'`]/, JSON.stringify(urls))
        .replaceAll('__BUILD_ID__', build);
      if (sw.code.includes('__PRECACHE_URLS__') || sw.code.includes('__BUILD_ID__')) throw new Error('precache placeholders not replaced');
      if (!urls.includes('/field/')) throw new Error('the field page is missing from the precache list');
    },
  };
}

export default defineConfig({
  plugins: [precacheManifest()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      input: {
        dashboard: 'index.html',
        field: 'field/index.html',
        signup: 'signup/index.html',
        sw: 'src/field/sw.ts',
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'field/sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
