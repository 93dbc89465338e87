import { defineConfig } from 'vite';

// Served by the Keymint server at /console (packages/server/src/admin/console.ts).
export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', assetsDir: 'assets', emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
