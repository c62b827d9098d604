export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { code?: string; fields?: Record<string, string>; retryAfterSeconds?: number } = {},
  ) {
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
export class Conflict extends HttpError {
  constructor(message = 'Conflict', fields?: Record<string, string>) {
    super(409, message, { code: 'conflict', fields });
  }
}
export class TooManyRequests extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, message, { code: 'too_many_requests', retryAfterSeconds });
  }
}
export class ServiceBusy extends HttpError {
  constructor() {
    super(503, 'Service busy, retry shortly', { code: 'busy', retryAfterSeconds: 1 });
  }
}

export interface ErrorReply {
  status: number;
  message: string;
  code: string;
  fields?: Record<string, string>;
  retryAfterSeconds?: number;
  unexpected: boolean;
}

/** Maps anything thrown in a handler to what the client may see; unexpected errors say nothing. */
export function describeError(err: unknown): ErrorReply {
  if (err instanceof HttpError) {
    return { status: err.status, message: err.message, code: err.extra.code ?? 'error',
      fields: err.extra.fields, retryAfterSeconds: err.extra.retryAfterSeconds, unexpected: false };
  }
  const e = err as { code?: string; type?: string; status?: number } | null;
  if (e?.code === 'EBADCSRFTOKEN') {
    return { status: 403, message: 'The form has expired or did not come from this site. Reload the page and try again.',
      code: 'csrf', unexpected: false };
  }
  if (e?.type === 'entity.too.large') return { status: 413, message: 'Request body too large', code: 'too_large', unexpected: false };
  if (e?.type === 'entity.parse.failed') return { status: 400, message: 'Malformed JSON body', code: 'malformed_json', unexpected: false };
  if (e?.type && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, message: 'Bad request', code: 'bad_request', unexpected: false };
  }
  return { status: 500, message: 'Something went wrong on our side', code: 'internal', unexpected: true };
}
