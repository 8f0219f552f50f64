// Lint rules, chiefly the import boundaries of ../shared/ARCHITECTURE.md:
// each part may import only what its row of the table allows.
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const NODE = { group: ['node:*'], message: 'This part runs outside Node; no node:* modules.' };
const ELECTRON = { regex: '^electron(/|$)', message: 'Only electron/main and electron/preload may import Electron.' };
const RENDERER = { group: ['**/renderer/**', '../renderer/*'], message: 'Renderer source is not imported from here.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'scratch/**', 'test-results/**', 'release/**', 'build/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The store answers asynchronously (PostgreSQL): a store call nobody awaits is a write that may fail unseen.
    files: ['electron/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // Tests read loosely typed JSON answers.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Job scripts and their helper are plain CommonJS, run by Node as users write them; so is the
    // jobdeck command (Node starts a CommonJS entry sooner than an ES module).
    files: ['resources/**', 'bin/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['shared/**'],
    rules: restrict([NODE, ELECTRON, RENDERER, { group: ['**/electron/**', '../electron/*'], message: 'The contract imports nothing from electron/.' }]),
  },
  {
    files: ['electron/engine/**'],
    rules: restrict([
      ELECTRON,
      RENDERER,
      { group: ['**/server/**', '**/main/**', '**/cli/**', '**/preload/**'], message: 'The engine imports no host: not server, main, cli or preload.' },
    ]),
  },
  { files: ['electron/server/**'], rules: restrict([ELECTRON, RENDERER, { group: ['**/main/**', '**/cli/**'], message: 'The server does not import hosts.' }]) },
  { files: ['electron/cli/**'], rules: restrict([ELECTRON, RENDERER]) },
  {
    files: ['electron/main/**'],
    rules: restrict([RENDERER, { group: ['**/server/**', '**/cli/**'], message: 'Electron main uses the engine, not server or CLI internals.' }]),
  },
  {
    files: ['electron/preload/**'],
    rules: restrict([NODE, RENDERER, { group: ['**/engine/**', '**/server/**'], message: 'The preload only bridges IPC.' }]),
  },
  {
    files: ['renderer/**'],
    rules: restrict([NODE, ELECTRON, { group: ['**/electron/**', '../electron/*'], message: 'The renderer reaches the engine only through a client of the contract.' }]),
  },
);
