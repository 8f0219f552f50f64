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
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rollupOptions: {
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          // The small process that spawns job processes (see electron/engine/runner/launcher.ts).
          launcher: resolve(root, 'electron/engine/runner/launcher.ts'),
          // What a pre-started Node interpreter runs until a run takes it (electron/engine/runner/warmNode.ts).
          warmNode: resolve(root, 'electron/engine/runner/warmNode.ts'),
          // The worker thread the engine checkpoints its SQLite log on (electron/engine/store/checkpointWorker.ts).
          checkpointWorker: resolve(root, 'electron/engine/store/checkpointWorker.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rollupOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        // Sandboxed preload scripts must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      minify: true,
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
