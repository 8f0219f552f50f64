// Exports a user list as CSV, with progress, using Jobdeck's Node helper.
//   jobdeck run resources/examples/user-export.js --param count=500
const jobdeck = process.env.JOBDECK_HELPER
  ? require(process.env.JOBDECK_HELPER)
  : require('../helpers/jobdeck.cjs');

const count = Number(jobdeck.params.count ?? jobdeck.args[0] ?? 200);
const rows = ['id,name,email,active'];
console.log(`Exporting ${count} users`);
for (let i = 1; i <= count; i++) {
  rows.push(`${i},User ${i},user${i}@example.com,${i % 7 !== 0}`);
  if (i % Math.max(1, Math.floor(count / 10)) === 0) jobdeck.progress((i / count) * 100, `${i} of ${count} users`);
}
jobdeck.writeResult('users.csv', `${rows.join('\n')}\n`, { primary: true });
jobdeck.audit(`exported ${count} users`);
console.log('Export complete');
