// Builds the plain-JavaScript parts that run outside a bundler's app build:
// the launcher (the small process the engine forks to spawn job processes)
// and the `jobdeck` command (CLI and `serve`), so neither compiles TypeScript
// when it starts. esbuild, a few hundred milliseconds; `npm install` runs it
// once (prepare), the test command and vitest's global setup run it again.
//   node scripts/build-node.mjs
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');

export async function buildNode() {
  await build({
    // warmNode: the bootstrap a pre-started Node interpreter runs (a run's script, once told which).
    // launcherStart: what bin/jobdeck.cjs loads to fork `jobdeck run`'s launcher before the CLI itself.
    entryPoints: {
      launcher: join(root, 'electron/engine/runner/launcher.ts'),
      warmNode: join(root, 'electron/engine/runner/warmNode.ts'),
      launcherStart: join(root, 'electron/engine/runner/launcherStart.ts'),
      // checkpointWorker: the worker thread a scheduling engine checkpoints its SQLite log on.
      checkpointWorker: join(root, 'electron/engine/store/checkpointWorker.ts'),
    },
    outdir: join(root, 'out/node'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Bundled whole (it uses only zod/mini and Node's own modules), so unused code is left out:
    // the smaller the launcher, the faster its fork() of each job.
    packages: 'bundle',
    // The checkpoint worker's native SQLite stays in node_modules (a bundle cannot hold a .node file).
    external: ['better-sqlite3'],
    minifySyntax: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  // cliLoader: what bin/jobdeck.cjs loads the CLI bundle with (a code cache beside it); CommonJS, as the bin.
  await build({
    entryPoints: { cliLoader: join(root, 'electron/cli/cliLoader.ts') },
    outdir: join(root, 'out/node'),
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  const cli = await build({
    metafile: true,
    entryPoints: { cli: join(root, 'electron/cli/main.ts') },
    outdir: join(root, 'out/node'),
    // CommonJS, one file: bin/jobdeck.cjs compiles it through V8 with a code cache (cliLoader.ts),
    // which Node 20 offers for scripts, not for ES modules. Compiling the bundle was a quarter of
    // `jobdeck run`'s start-up. What only `serve` needs stays in the file, evaluated only by serve.
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Our sources and the packages every command loads in one file, so Node reads, resolves and
    // compiles one module instead of hundreds. Left in node_modules, loaded as they are by Node:
    // the HTTP server's packages (fastify's plugins, pino: only `serve` requires them), and what the
    // engine loads on first use (lazyPackage.ts: nodemailer, liquidjs, cel-js, mime-types, ws, …).
    // better-sqlite3's code is in the bundle (loading its dozen files took 12 ms of every start);
    // its compiled addon stays in node_modules, named to it by store/sqliteDriver.ts.
    external: ['fastify', '@fastify/*', 'pino'],
    // import.meta has no value in a CommonJS file: its URL is the bundle's own.
    define: { 'import.meta.url': '__jobdeckBundleUrl' },
    // "use strict" first: a banner line before esbuild's own directive would make the whole file sloppy.
    banner: { js: "'use strict';\nconst __jobdeckBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    sourcemap: true,
    // Stacks are mapped to the sources (with JOBDECK_DEBUG, bin/jobdeck.cjs) from the mappings alone;
    // without the sources' text the map is a third of the size.
    sourcesContent: false,
    // Names are kept (stacks stay readable); spaces and comments go: a third less to read, hash and
    // decode at each start, and the file is ASCII (cliLoader.ts reads it without decoding UTF-8).
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    logLevel: 'warning',
  });
  // A script compiled from a code cache cannot call import() on Node 20 (cliLoader.ts): refuse a bundle that would.
  const dynamic = Object.values(cli.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path));
  if (dynamic.length) throw new Error(`the CLI bundle would import() ${dynamic.join(', ')}: load it with require (lazyPackage.ts) or bundle it`);
  writeTemplate(join(root, 'out/node/cli.cjs'));
  // Earlier builds made an ES module and chunks (cli.mjs, cli-*.mjs); the code cache of another bundle, or half of one.
  const outDir = join(root, 'out/node');
  for (const name of readdirSync(outDir)) {
    if (/^(cli(\.mjs|-.*\.mjs|\.cjs\.cache|\.cjs\.cache\.\d+\.tmp)|cliLoader\.mjs)(\.map)?$/.test(name)) rmSync(join(outDir, name), { force: true });
  }
}

/**
 * The empty store `jobdeck run FILE` starts from (electron/cli/storeTemplate.ts), made by the bundle
 * just built. Without it (better-sqlite3 not built yet) each run migrates its store: slower, same result.
 * @param {string} bundle
 */
function writeTemplate(bundle) {
  rmSync(join(dirname(bundle), 'store-template.db'), { force: true });
  try {
    createRequire(import.meta.url)(bundle).writeStoreTemplate(dirname(bundle));
  } catch (err) {
    process.stderr.write(`build-node: no store template for jobdeck run (${String(err instanceof Error ? err.message : err).split('\n')[0]}); runs will migrate their store instead\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await buildNode();
