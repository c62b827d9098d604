import { escapeLike, statementCache, whereClause, type Db } from '../../db.js';

export const MESSAGE_STATUSES = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface NewMessage {
  senderId: number;
  recipientPhone: string;
  messageContent: string | null;
  attachmentPath: string | null;
  templateUsed: string | null;
  status: MessageStatus;
  sentAt: string;
}

/** A logged message, with its sender's username as it is now. */
export interface Message {
  id: number;
  senderId: number;
  senderUsername: string;
  recipientPhone: string;
  messageContent: string | null;
  attachmentPath: string | null;
  templateUsed: string | null;
  sentAt: string;
  status: MessageStatus;
}

interface MessageRow {
  id: number;
  sender_id: number;
  sender_username: string;
  recipient_phone: string;
  message_content: string | null;
  attachment_path: string | null;
  template_used: string | null;
  sent_at: string;
  status: MessageStatus;
}

const toMessage = (r: MessageRow): Message => ({
  id: r.id, senderId: r.sender_id, senderUsername: r.sender_username, recipientPhone: r.recipient_phone, messageContent: r.message_content,
  attachmentPath: r.attachment_path, templateUsed: r.template_used, sentAt: r.sent_at, status: r.status,
});

export interface MessageFilters {
  scope: number[] | null;
  senderId?: number;
  status?: MessageStatus;
  /** A fragment of the recipient's number, or the whole number in canonical form. */
  recipient?: { fragment: string; exact: string | null };
  from?: string;
  to?: string;
  /** Keyset cursor for exports: only messages with a smaller id. */
  beforeId?: number;
}

function where(f: MessageFilters) {
  return whereClause([
    f.scope && ['m.sender_id IN (SELECT value FROM json_each(@scope))', { scope: JSON.stringify(f.scope) }],
    f.senderId !== undefined && ['m.sender_id = @senderId', { senderId: f.senderId }],
    f.status && ['m.status = @status', { status: f.status }],
    f.recipient && ["(m.recipient_phone LIKE @search ESCAPE '\\' OR m.recipient_phone = @exact)",
      { search: `%${escapeLike(f.recipient.fragment)}%`, exact: f.recipient.exact }],
    f.from && ['m.sent_at >= @from', { from: f.from }],
    f.to && ['m.sent_at < @to', { to: f.to }],
    f.beforeId !== undefined && ['m.id < @beforeId', { beforeId: f.beforeId }],
  ]);
}

const SELECT = `SELECT m.id, m.sender_id, u.username AS sender_username, m.recipient_phone, m.message_content,
  m.attachment_path, m.template_used, m.sent_at, m.status FROM message_logs m JOIN users u ON u.id = m.sender_id`;

export function createMessagesRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO message_logs
      (sender_id, recipient_phone, message_content, attachment_path, template_used, status, sent_at)
    VALUES (@senderId, @recipientPhone, @messageContent, @attachmentPath, @templateUsed, @status, @sentAt)`);
  const countSince = db.prepare<{ sender: number; since: string }, number>(
    'SELECT count(*) FROM message_logs WHERE sender_id = @sender AND sent_at > @since').pluck();
  const nthSince = db.prepare<{ sender: number; since: string; n: number }, string>(
    'SELECT sent_at FROM message_logs WHERE sender_id = @sender AND sent_at > @since ORDER BY sent_at LIMIT 1 OFFSET @n').pluck();
  const countToSince = db.prepare<{ sender: number; phone: string; since: string }, number>(
    'SELECT count(*) FROM message_logs WHERE sender_id = @sender AND recipient_phone = @phone AND sent_at > @since').pluck();
  const nthToSince = db.prepare<{ sender: number; phone: string; since: string; n: number }, string>(
    'SELECT sent_at FROM message_logs WHERE sender_id = @sender AND recipient_phone = @phone AND sent_at > @since ORDER BY sent_at LIMIT 1 OFFSET @n').pluck();
  const prepared = statementCache(db);

  return {
    insert: (m: NewMessage): number => Number(insert.run(m).lastInsertRowid),
    /** Sends by a sender after `since` (optionally to one recipient): the sliding-window counts. */
    countSince: (sender: number, since: string, phone?: string): number =>
      phone === undefined ? countSince.get({ sender, since })! : countToSince.get({ sender, phone, since })!,
    /** The send time of the (n+1)-th oldest send in that window: when it leaves, a slot frees. */
    nthSince: (sender: number, since: string, n: number, phone?: string): string | undefined =>
      phone === undefined ? nthSince.get({ sender, since, n }) : nthToSince.get({ sender, phone, since, n }),
    listPage: (f: MessageFilters, limit: number, offset: number): Message[] => {
      const w = where(f);
      return (prepared(`${SELECT} ${w.sql} ORDER BY m.id DESC LIMIT @limit OFFSET @offset`).all({ ...w.params, limit, offset }) as MessageRow[]).map(toMessage);
    },
    count: (f: MessageFilters): number => {
      const w = where(f);
      return (prepared(`SELECT count(*) AS n FROM message_logs m ${w.sql}`).get(w.params) as { n: number }).n;
    },
  };
}
