/**
 * A phone number as stored: an optional leading `+` and 7 to 15 digits (E.164's maximum).
 * Spaces, dots, dashes and parentheses are dropped; anything else means it is not a phone.
 */
export function normalisePhone(raw: unknown): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const text = String(raw).trim();
  if (!/^\+?[\d\s().-]+$/.test(text)) return null;
  const plus = text.startsWith('+') ? '+' : '';
  const digits = text.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return null;
  return plus + digits;
}
