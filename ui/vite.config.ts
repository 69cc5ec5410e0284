// Builds the admin UI (Svelte 5) into dist/ui, which the API serves at `/`.
// In development (`npx vite --config ui/vite.config.ts`) the dev server proxies the API,
// bull-board and the health check to a running `duckmig api` on 127.0.0.1:8080,
// WebSocket upgrades included, so the session cookie works as it does in production.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.DUCKMIG_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: false, ws: true },
      '/admin': { target, changeOrigin: false },
      '/healthz': { target },
    },
  },
});
