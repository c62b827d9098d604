import type { Response } from 'express';

export type Cell = string | number | boolean | null | undefined;

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

export interface CsvFile<T> {
  filename: string;
  columns: readonly string[];
  /** Columns written as they are: a phone number's leading + is no formula, and must stay. */
  verbatim?: readonly string[];
  cells: (record: T) => Cell[];
}

/**
 * Streams chunks of records as CSV, waiting for the socket to drain between chunks, so memory
 * stays flat however many rows there are.
 */
export async function streamCsv<T>(res: Response, file: CsvFile<T>, chunks: Iterable<T[]>): Promise<void> {
  const safe = file.columns.map((c) => !file.verbatim?.includes(c));
  const line = (record: T) => file.cells(record).map((v, i) => csvCell(v, { formulaSafe: safe[i] })).join(',') + '\r\n';
  res.set('Content-Type', 'text/csv; charset=utf-8');
  res.set('Content-Disposition', `attachment; filename="${file.filename}"`);
  res.write(file.columns.join(',') + '\r\n');
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk.map(line).join(''))) {
      await new Promise((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  res.end();
}
