/** Files the console hands to the browser's downloads: a name any file system takes, and the JSON itself. */

/** A file name from a job name: what file systems refuse becomes "-". */
export function exportFileName(jobName: string): string {
  const safe = jobName.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '-').replace(/^[.\s-]+|[.\s]+$/g, '') || 'job';
  return `${safe}.jobdeck.json`;
}

/** Starts a download of `value` as pretty JSON under `fileName`. */
export function downloadJson(fileName: string, value: unknown): void {
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once it started; the URL only holds memory.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
