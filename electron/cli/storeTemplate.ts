/**
 * The empty store `jobdeck run FILE` starts its throwaway store from: the
 * build serializes one beside the CLI bundle (scripts/build-node.mjs), so no
 * run of the CLI pays for the migrations. Run from the sources, there is
 * none, and the store is migrated afresh (openMemoryDatabase()).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeTemplate } from '../engine/store/database';

export const STORE_TEMPLATE_FILE = 'store-template.db';

/** Where this CLI looks for its template: beside its own code (the bundle's folder once built). */
export const storeTemplatePath = (): string => join(dirname(fileURLToPath(import.meta.url)), STORE_TEMPLATE_FILE);

/** Writes a template into `dir` (whole or not at all: a temporary file, then renamed). */
export function writeStoreTemplate(dir: string, nativeBinding?: string): string {
  const file = join(dir, STORE_TEMPLATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, storeTemplate(nativeBinding ? { nativeBinding } : {}));
  renameSync(tmp, file);
  return file;
}
