/**
 * `jobdeck/react` (renderer/embed/): a library build of the embeddable
 * component, one ES module, React left to the host app (external). Its
 * declarations come from tsconfig.embed.json. Run by `npm run build`.
 */
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: resolve(root, 'dist/react'),
    emptyOutDir: true,
    minify: true,
    sourcemap: true,
    lib: {
      entry: resolve(root, 'renderer/embed/index.ts'),
      formats: ['es'],
      fileName: () => 'jobdeck-react.js',
    },
    rollupOptions: {
      // The host's React, whatever its version (18 or 19): never a second copy.
      external: ['react', 'react/jsx-runtime', 'react-dom', 'react-dom/client'],
    },
  },
});
