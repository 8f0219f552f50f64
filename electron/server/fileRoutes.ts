/** Sending a contract Download (a result file, a whole log) as an HTTP response, streamed. */
import { create as contentDisposition } from 'content-disposition';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import type { Download } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';

export function parseRunId(text: string, field = 'id'): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new JobdeckError('VALIDATION_FAILED', `${field}: must be a numeric id`, field);
  return Number(text);
}

/** Streams a download with its type, length (when known), checksum and a download name. */
export function sendDownload(reply: FastifyReply, download: Download): FastifyReply {
  reply
    .header('content-type', download.contentType)
    .header('content-disposition', contentDisposition(download.fileName))
    .header('x-content-type-options', 'nosniff');
  if (download.size !== null) reply.header('content-length', String(download.size));
  if (download.sha256) reply.header('x-checksum-sha256', download.sha256);
  const chunks = download.chunks();
  if (reply.request.method === 'HEAD') {
    // Headers only: the file is not read (one another node keeps is not fetched further). An empty stream keeps the
    // length given above.
    if (chunks instanceof Readable) chunks.destroy();
    return reply.send(Readable.from([]));
  }
  // A Node stream goes out as it is; any other source of chunks is wrapped in one.
  return reply.send(chunks instanceof Readable ? chunks : Readable.from(chunks));
}
