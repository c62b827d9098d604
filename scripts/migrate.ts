import { openForScript } from './cli.js';

const { db, applied } = openForScript();
process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
const rows = db.prepare('SELECT name, applied_at FROM schema_migrations ORDER BY version').all() as Array<{ name: string; applied_at: string }>;
for (const row of rows) process.stdout.write(`${row.name}  applied ${row.applied_at}\n`);
db.close();
