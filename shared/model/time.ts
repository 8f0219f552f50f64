import * as z from 'zod';

/**
 * A point in time as the API writes it: ISO 8601 with a zone (always UTC, "Z", from Jobdeck).
 * Made when first used, as the answers' schemas that use it (see run.ts).
 */
export const isoTime = z.lazy(() => z.iso.datetime({ offset: true }).describe('ISO 8601 time'));
