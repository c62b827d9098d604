import { parsePhoneNumberFromString, validatePhoneNumberLength, type CountryCode } from 'libphonenumber-js/min';

/**
 * One canonical form per phone number: E.164 (`+` and at most 15 digits), so every spelling of
 * a destination counts as one for quotas and is one contact.
 *
 * The `min` metadata checks lengths per country, not number ranges: a real number in a range
 * allocated after this library's release is still accepted, while a number too short or too
 * long for its country (or with no such country code) is refused with the reason.
 */
export type PhoneReading = { ok: true; phone: string } | { ok: false; reason: string };

// Direction marks WhatsApp and phone books put around numbers; invisible, never meaningful.
const BIDI_MARKS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const SEPARATORS = /[\s().\-/]/g;
const MAX_INPUT = 64;

const REASONS: Record<string, string> = {
  TOO_SHORT: 'too short for its country',
  TOO_LONG: 'too long for its country',
  INVALID_LENGTH: 'wrong length for its country',
  INVALID_COUNTRY: 'unknown country code',
  NOT_A_NUMBER: 'not a phone number',
};

const refuse = (reason: string): PhoneReading => ({ ok: false, reason });

/** `+` and digits, read as an international number. */
function international(e164ish: string): PhoneReading {
  const parsed = parsePhoneNumberFromString(e164ish);
  if (parsed?.isPossible()) return { ok: true, phone: parsed.number };
  return refuse(REASONS[validatePhoneNumberLength(e164ish) ?? 'INVALID_LENGTH'] ?? REASONS.NOT_A_NUMBER!);
}

/** Digits without `+`: national to the default country (its own international prefix included). */
function national(digits: string, country: CountryCode): PhoneReading {
  const parsed = parsePhoneNumberFromString(digits, country);
  if (parsed?.isPossible()) return { ok: true, phone: parsed.number };
  // 00 and 011 are international prefixes whatever the country (documented in .env.example).
  const idd = /^(?:00|011)(?=[1-9])/.exec(digits);
  if (idd) return international('+' + digits.slice(idd[0].length));
  return refuse(REASONS[validatePhoneNumberLength(digits, country) ?? 'INVALID_LENGTH'] ?? REASONS.NOT_A_NUMBER!);
}

/** Digits without `+` and no default country: international digits, after any 00 or 011. */
function withoutCountry(digits: string): PhoneReading {
  const idd = /^(?:00|011)(?=[1-9])/.exec(digits);
  if (idd) return international('+' + digits.slice(idd[0].length));
  if (digits.startsWith('0')) return refuse('no country code (write it with + or set DEFAULT_COUNTRY)');
  return international('+' + digits);
}

/** The input as text, or why it is not one: numbers must be whole and positive. */
function asText(raw: unknown): string | PhoneReading {
  if (raw === undefined || raw === null || raw === '') return refuse('phone is missing');
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw > 0 ? String(raw) : refuse(REASONS.NOT_A_NUMBER!);
  if (typeof raw !== 'string' || raw.length > MAX_INPUT) return refuse(REASONS.NOT_A_NUMBER!);
  return raw;
}

/**
 * Reads any spelling of a phone number into E.164, or says why it cannot. The result must read
 * back as itself: libphonenumber drops a national prefix inside some international spellings
 * (+86 0…), and a form that changes when read again would give one destination several keys.
 */
export function readPhone(raw: unknown, defaultCountry?: string): PhoneReading {
  const reading = readOnce(raw, defaultCountry);
  if (!reading.ok) return reading;
  const again = international(reading.phone);
  return again.ok && again.phone === reading.phone ? reading : refuse('ambiguous: written with a national prefix after the country code');
}

function readOnce(raw: unknown, defaultCountry?: string): PhoneReading {
  const text = asText(raw);
  if (typeof text !== 'string') return text;
  const compact = text.replace(BIDI_MARKS, '').replace(SEPARATORS, '');
  if (compact === '') return refuse('phone is missing');
  if (!/^\+?\d+$/.test(compact)) return refuse(REASONS.NOT_A_NUMBER!);
  if (compact.startsWith('+')) return international(compact);
  return defaultCountry ? national(compact, defaultCountry as CountryCode) : withoutCountry(compact);
}

/** The canonical E.164 form, or null when the input is not a phone number. */
export function canonicalPhone(raw: unknown, defaultCountry?: string): string | null {
  const reading = readPhone(raw, defaultCountry);
  return reading.ok ? reading.phone : null;
}

/**
 * How a search term matches stored phones: `fragment` is the term without separators (a
 * substring of stored numbers: "612 345" finds +34612345678); `exact` is set when the whole
 * term is a number in any spelling ("0034 612…", or national with DEFAULT_COUNTRY). Terms that
 * hold anything but phone characters match no phone.
 */
export function phoneSearch(term: string, defaultCountry?: string): { fragment: string; exact: string | null } | null {
  const fragment = term.replace(BIDI_MARKS, '').replace(SEPARATORS, '');
  if (!/^\+?\d+$/.test(fragment)) return null;
  return { fragment, exact: canonicalPhone(term, defaultCountry) };
}
