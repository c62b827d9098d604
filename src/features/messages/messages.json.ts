import type { CsvFile } from '../../http/csv.js';
import type { Message } from './messages.repo.js';

/** A logged message in the API's contract. */
export const messageJson = (m: Message) => ({
  id: m.id, sender_id: m.senderId, sender_username: m.senderUsername, recipient_phone: m.recipientPhone,
  message_content: m.messageContent, attachment_path: m.attachmentPath, template_used: m.templateUsed,
  sent_at: m.sentAt, status: m.status,
});

/** The console's CSV download. */
export const messagesCsv: CsvFile<Message> = {
  filename: 'messages.csv',
  columns: ['id', 'sent_at', 'sender_id', 'sender_username', 'recipient_phone', 'status', 'template_used', 'attachment_path', 'message_content'],
  verbatim: ['recipient_phone'],
  cells: (m) => [m.id, m.sentAt, m.senderId, m.senderUsername, m.recipientPhone, m.status, m.templateUsed, m.attachmentPath, m.messageContent],
};
