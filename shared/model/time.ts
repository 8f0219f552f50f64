import * as z from 'zod';

/** A point in time as the API writes it: ISO 8601 with a zone (always UTC, "Z", from Jobdeck). */
export const isoTime = z.iso.datetime({ offset: true }).describe('ISO 8601 time');
