/**
 * Packages that only some work needs (mail, webhooks, templates, workflow
 * conditions, content types), loaded the first time that work happens
 * instead of when the engine loads: a `jobdeck run` or `jobdeck jobs list`
 * never pays for nodemailer (about 100 ms to load) or liquidjs. Loaded with
 * Node's require (CommonJS, or an ES module through require(esm)), so the
 * call stays synchronous where the caller is.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/** `load()` run once, on the first call of the returned function. */
export function lazy<T>(load: () => T): () => T {
  let value: { v: T } | null = null;
  return () => (value ??= { v: load() }).v;
}

/** A package by name, required on the first call. */
export function lazyPackage<T>(name: string): () => T {
  return lazy(() => requireHere(name) as T);
}
