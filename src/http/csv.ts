import type { Response } from 'express';

type Cell = string | number | boolean | null | undefined;

/**
 * A CSV cell: quoted when needed, and text that a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR at the start) is prefixed with ' so it stays text.
 */
export function csvCell(value: Cell, { formulaSafe = true } = {}): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (formulaSafe && typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Streams chunks of rows as CSV, waiting for the socket to drain between chunks, so memory
 * stays flat however many rows there are. `toRow` turns a record into its cells.
 */
export async function streamCsv<T>(res: Response, filename: string, header: string[], chunks: Iterable<T[]>,
  toRow: (record: T) => string): Promise<void> {
  res.set('Content-Type', 'text/csv; charset=utf-8');
  res.set('Content-Disposition', `attachment; filename="${filename}"`);
  res.write(header.join(',') + '\r\n');
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk.map(toRow).join(''))) {
      await new Promise((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  res.end();
}
