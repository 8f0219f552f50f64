/**
 * zod compiles its validators with new Function() unless told not to, and
 * probes for it as each object schema is made; the console's
 * Content-Security-Policy forbids that. Imported before anything that makes
 * a schema.
 */
import * as z from 'zod';

z.config({ jitless: true });
