// Type-aware lint for every TypeScript source under packages/*/src (docs/architecture.md, "Lint").
// The rule set is deliberately small: the two bans the codebase relies on (explicit `any`, import
// cycles) plus the type-aware promise checks whose violations were few and whose fixes were safe.
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/console/vite.config.ts'] },
  {
    files: ['packages/*/src/**/*.{ts,tsx}'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      // no-cycle reads each imported module to follow the graph: it must know .ts/.tsx are code.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      // Sources import './x.js' (NodeNext); the resolver maps that to the .ts/.tsx file so
      // no-cycle sees the real module graph.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test collects test()/describe() itself; awaiting them at top level is not the idiom.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      // JSX event handlers may be async: Preact ignores the returned promise and every handler
      // reports its own errors through useAction.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    // Tests and the test harness read arbitrary JSON from real HTTP responses and browser pages
    // and assert on it; typing every body would restate the contract in hundreds of places.
    files: [
      'packages/*/src/**/*.test.ts',
      'packages/server/src/testing/**',
      'packages/server/src/admin/testing.ts',
      'packages/server/src/security/child-server.ts',
      'packages/server/src/interop/tools.ts',
    ],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
