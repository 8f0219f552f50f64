/**
 * Jobdeck helper for Node job scripts. Jobdeck sets JOBDECK_HELPER to this
 * file's path, so a script can do:
 *
 *   const jobdeck = require(process.env.JOBDECK_HELPER);
 *   jobdeck.progress(40, 'Halfway');
 *   jobdeck.writeResult('report.csv', 'a,b\n1,2\n', { primary: true });
 *
 * It only prints protocol lines (::progress, ::result, ::audit) and writes
 * into JOBDECK_OUTPUT_DIR, so a script behaves the same under `jobdeck run`.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const env = process.env;
const outputDir = env.JOBDECK_OUTPUT_DIR || path.join(process.cwd(), 'output');

function line(text) {
  process.stdout.write(`${String(text).replace(/[\r\n]+/g, ' ')}\n`);
}

module.exports = {
  /** Folder whose files become the run's result files. */
  outputDir,
  /** Space-separated run arguments, split. */
  args: (env.JOBDECK_ARGS || '').split(/\s+/).filter(Boolean),
  /** Parameter values of the run. */
  params: JSON.parse(env.JOBDECK_PARAMS || '{}'),
  job: env.JOBDECK_JOB || '',
  runId: Number(env.JOBDECK_RUN_ID || 0),
  user: env.JOBDECK_USER || '',
  /** Reports progress (0-100) with an optional message. */
  progress(percent, message = '') {
    const p = Math.max(0, Math.min(100, Number(percent) || 0));
    line(`::progress ${Math.round(p * 10) / 10}${message ? ` ${message}` : ''}`);
  },
  /** Names the primary result file (a path relative to outputDir). */
  result(name) {
    line(`::result ${name}`);
  },
  /** Records an audit entry attributed to the job's associated user. */
  audit(message) {
    line(`::audit ${message}`);
  },
  /** Writes a file into outputDir; with {primary: true} it becomes the primary result. */
  writeResult(name, content, options = {}) {
    const file = path.join(outputDir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    if (options.primary) this.result(name);
    return file;
  },
};
