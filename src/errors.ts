/** What an error adds to its answer besides status and message. */
export interface ErrorDetails {
  /** Machine-readable reason; absent on the original contract's answers, which had only `error`. */
  code?: string;
  /** Per-field messages: a JSON 400 lists them, a form shows each beside its field. */
  fields?: Record<string, string>;
  /** Further fields of the JSON body the contract names (`retry_after`, `limit`, `valid`). */
  body?: Record<string, string | number | boolean>;
  /** Response headers the refusal needs (`WWW-Authenticate`, `Allow`). */
  headers?: Record<string, string>;
  /** Sent as Retry-After. */
  retryAfterSeconds?: number;
  /** The budget that ran out, for the 429 count in /metrics. */
  limiter?: string;
}

/** An answer the client may see in full: every surface's error handler writes it from these fields. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly details: ErrorDetails = {}) {
    super(message);
  }
}

export class BadRequest extends HttpError {
  constructor(message = 'Bad request', fields?: Record<string, string>) {
    super(400, message, { code: 'bad_request', fields });
  }
}
export class Unauthorized extends HttpError {
  constructor(message = 'Authentication required') {
    super(401, message, { code: 'unauthorized' });
  }
}
export class Forbidden extends HttpError {
  constructor(message = 'Forbidden') {
    super(403, message, { code: 'forbidden' });
  }
}
export class NotFound extends HttpError {
  constructor(message = 'Not found') {
    super(404, message, { code: 'not_found' });
  }
}
export class MethodNotAllowed extends HttpError {
  constructor(allowed: string) {
    super(405, `Method not allowed; use ${allowed}`, { headers: { Allow: allowed } });
  }
}
export class Conflict extends HttpError {
  constructor(message = 'Conflict', fields?: Record<string, string>) {
    super(409, message, { code: 'conflict', fields });
  }
}
export class TooManyRequests extends HttpError {
  constructor(message: string, retryAfterSeconds: number, limiter: string) {
    super(429, message, { code: 'too_many_requests', retryAfterSeconds, limiter });
  }
}
export class ServiceBusy extends HttpError {
  constructor() {
    super(503, 'Service busy, retry shortly', { code: 'busy', retryAfterSeconds: 1 });
  }
}

/** RFC 6750's challenge on every refused bearer token. */
export const BEARER_CHALLENGE = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };

/** A bearer token that is missing, malformed, expired, revoked or not this service's. */
export class TokenRefused extends HttpError {
  constructor(message: string) {
    super(401, message, { code: 'invalid_token', headers: BEARER_CHALLENGE });
  }
}

/** The answer to every token call but a password change (or logout) while one is required. */
export class PasswordChangeRequired extends HttpError {
  constructor(status: 401 | 403 = 403, body?: ErrorDetails['body']) {
    super(status, 'Password change required', { code: 'password_change_required', body });
  }
}

/** The database cannot take writes right now (disk full, locked, I/O error): retry later. */
export class StorageUnavailable extends HttpError {
  constructor() {
    super(503, 'Storage is unavailable right now; nothing was saved. Retry shortly.', { code: 'storage_unavailable', retryAfterSeconds: 5 });
  }
}

// SQLite result codes (better-sqlite3's SqliteError.code, sqlite3's err.code) that say the
// storage, not the request, is at fault: the same request can succeed once it recovers.
const STORAGE_CODE = /^SQLITE_(FULL|BUSY|LOCKED|IOERR|READONLY|CANTOPEN|PROTOCOL)/;

export function isStorageFailure(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && STORAGE_CODE.test(code);
}

export class UnsupportedEncoding extends HttpError {
  constructor() {
    super(415, 'Request bodies must not be compressed: send them without Content-Encoding', { code: 'unsupported_encoding' });
  }
}

export interface ErrorReply extends ErrorDetails {
  status: number;
  message: string;
  unexpected: boolean;
}

const UNEXPECTED: ErrorReply = { status: 500, message: 'Something went wrong on our side', code: 'internal', unexpected: true };

type Known = Omit<ErrorReply, 'unexpected'>;

// What body-parser and raw-body mean by their `type`; their own messages are not shown, since they
// can quote the input back (a charset, a zlib complaint) and say nothing useful to a client.
const BY_TYPE: Record<string, Known> = {
  'entity.too.large': { status: 413, message: 'Request body too large', code: 'too_large' },
  'parameters.too.many': { status: 413, message: 'Too many form fields', code: 'too_large' },
  'entity.parse.failed': { status: 400, message: 'Malformed JSON body', code: 'malformed_json' },
  'encoding.unsupported': { status: 415, message: new UnsupportedEncoding().message, code: 'unsupported_encoding' },
  'charset.unsupported': { status: 415, message: 'Unsupported charset: send UTF-8', code: 'unsupported_charset' },
};

const ZLIB_CODE = /^(Z_|ERR__ERROR_|ERR_BROTLI|ERR_ZSTD)/;

const BY_STATUS: Record<number, string> = {
  400: 'Bad request', 404: 'Not found', 405: 'Method not allowed', 408: 'Request timeout', 411: 'Length required',
  413: 'Request body too large', 414: 'Address too long', 415: 'Unsupported request body', 431: 'Request headers too large',
};

/** The status a library attached to its error (`status` or `statusCode`), if it is a client error. */
function clientStatus(e: { status?: unknown; statusCode?: unknown }): number | undefined {
  const status = e.status ?? e.statusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500 ? status : undefined;
}

/** A 4xx raised by a library (router, body parsers, csrf): it keeps its status, with our own words. */
function describeClientError(err: object, status: number): ErrorReply {
  const e = err as { code?: unknown; type?: unknown };
  // The router could not percent-decode a path parameter (`/users/%`).
  if (err instanceof URIError) return { status: 400, message: 'Malformed percent-encoding in the address', code: 'bad_url', unexpected: false };
  // A decompression stream (zlib, brotli, zstd) failed: the body is not what its Content-Encoding says.
  const known = typeof e.code === 'string' && ZLIB_CODE.test(e.code) ? BY_TYPE['encoding.unsupported']
    : typeof e.type === 'string' ? BY_TYPE[e.type] : undefined;
  if (known) return { ...known, unexpected: false };
  return { status, message: BY_STATUS[status] ?? 'Bad request', code: status === 404 ? 'not_found' : 'bad_request', unexpected: false };
}

/**
 * Maps anything thrown in a handler to what the client may see. Our HttpErrors say what they say;
 * a library's 4xx keeps its status; everything else is a bug, answered 500 without a word of it.
 */
export function describeError(err: unknown): ErrorReply {
  if (err instanceof HttpError) {
    return { ...err.details, status: err.status, message: err.message, unexpected: false };
  }
  if (typeof err !== 'object' || err === null) return UNEXPECTED;
  if (isStorageFailure(err)) return describeError(new StorageUnavailable());
  if ((err as { code?: unknown }).code === 'EBADCSRFTOKEN') {
    return { status: 403, message: 'The form has expired or did not come from this site. Reload the page and try again.',
      code: 'csrf', unexpected: false };
  }
  const status = clientStatus(err);
  return status === undefined ? UNEXPECTED : describeClientError(err, status);
}

