/**
 * One build for the three parts of the desktop app (electron-vite): the main
 * process (with the engine and its launcher), the sandboxed preload script,
 * and the renderer, which is also the web console `jobdeck serve` serves.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

const root = import.meta.dirname;

export default defineConfig({
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
