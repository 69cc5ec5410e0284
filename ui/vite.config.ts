// Builds the admin UI (Svelte 5) into dist/ui, which the API serves at `/`, with a .br
// and a .gz copy of each text file (precompress.ts). Production builds carry no source
// map (the API would publish it); `vite build --mode development` and the dev server keep them.
// In development (`npx vite --config ui/vite.config.ts`) the dev server proxies the API,
// bull-board and the health check to a running `duckmig api` on 127.0.0.1:8080,
// WebSocket upgrades included, so the session cookie works as it does in production.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { precompress } from './precompress.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.DUCKMIG_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig(({ mode }) => ({
  root,
  base: '/',
  plugins: [svelte(), precompress()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    sourcemap: mode === 'development',
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: false, ws: true },
      '/admin': { target, changeOrigin: false },
      '/healthz': { target },
    },
  },
}));
