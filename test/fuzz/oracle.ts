import type { Response } from 'supertest';

/** What was sent, as text: answers may quote the input back, and that is not a leak. */
export interface Sent {
  method: string;
  url: string;
  body: string;
}

const STACK = /\n\s*at [^\n]*:\d+:\d+|\.ts:\d+|\.js:\d+:\d+|node:internal|\bat (?:async )?[\w$.<>]+ \([^)\n]*:\d+:\d+\)/;
const SQL = /SQLITE_[A-Z]+|SqliteError|\bsqlite3?\b|\bSELECT\b[^<>\n]{0,200}?\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+"?\w+"?\s+SET\b|\bDELETE\s+FROM\b|no such (?:table|column)|\bsyntax error\b|\bconstraint failed\b/i;

function decodedForms(s: string): string {
  const tryDecode = (t: string) => {
    try {
      return decodeURIComponent(t.replace(/\+/g, ' '));
    } catch {
      return t;
    }
  };
  return [s, tryDecode(s), ...s.split(/[&?=]/).map(tryDecode)].join('\n');
}

/** A pattern found in the answer but not in the request (nor in its decoded form). */
function leaked(pattern: RegExp, answer: string, sent: Sent): string | undefined {
  const match = pattern.exec(answer);
  if (!match) return undefined;
  return pattern.test(decodedForms(`${sent.url}\n${sent.body}`)) ? undefined : match[0];
}

const answerText = (res: Response) => res.text ?? (Buffer.isBuffer(res.body) ? res.body.toString('utf8') : JSON.stringify(res.body ?? ''));

/**
 * The properties every answer has, whatever was sent: no 5xx, no stack trace, no SQL, no secret
 * (the app's keys, hashes, passwords, tokens, session ids), and each surface's error contract:
 * JSON `{"error": "..."}` on the API, an HTML page on the panel.
 */
export function answerProblems(res: Response, sent: Sent, surface: 'api' | 'panel', secrets: Iterable<string>): string[] {
  const problems: string[] = [];
  const text = answerText(res);
  if (res.status >= 500) problems.push(`answered ${res.status}`);
  const stack = leaked(STACK, text, sent);
  if (stack) problems.push(`stack trace in the answer: ${JSON.stringify(stack)}`);
  const sql = leaked(SQL, text, sent);
  if (sql) problems.push(`SQL in the answer: ${JSON.stringify(sql)}`);
  if (text.includes('$argon2')) problems.push('a password hash in the answer');
  for (const secret of secrets) if (secret && text.includes(secret)) problems.push(`a secret in the answer (${secret.slice(0, 6)}…)`);
  const type = String(res.headers['content-type'] ?? '');
  if (surface === 'api' && res.status >= 400 && (!type.startsWith('application/json') || typeof res.body?.error !== 'string')) {
    problems.push(`API refusal ${res.status} is not JSON {"error": "..."}: ${type}`);
  }
  if (surface === 'panel' && res.status >= 400 && !type.startsWith('text/html')) problems.push(`panel refusal ${res.status} is not a page: ${type}`);
  return problems;
}
