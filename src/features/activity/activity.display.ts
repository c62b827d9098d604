import { ACTIVITY_ACTIONS, isActivityAction } from '../../domain/activity.js';
import type { ActivityEntry } from './activity.repo.js';

/** The name a row stored for its target at the time (see activity-log.service.ts). */
const NAME_KEYS = new Set(['target_username', 'target_name']);
const INLINE_PAIRS = 3;
const INLINE_LENGTH = 60;

export interface EventTarget {
  label: string;
  href: string | null;
}

/** An activity row as the console shows it: what happened in words, to what, and its detail as labelled pairs. */
export interface DisplayedEvent extends ActivityEntry {
  actionLabel: string;
  target: EventTarget | null;
  detailPairs: Array<[string, string]>;
  /** Whether the detail is short enough to show in the row; otherwise it opens on demand. */
  detailInline: boolean;
}

function parsedDetail(detail: string | null): Record<string, unknown> {
  if (!detail) return {};
  const value = JSON.parse(detail) as unknown;
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { detail: value };
}

function shown(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === null) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function targetOf(e: ActivityEntry, detail: Record<string, unknown>): EventTarget | null {
  const name = detail.target_username ?? detail.target_name;
  const named = typeof name === 'string' ? name : null;
  switch (e.targetType) {
    case null: return null;
    case 'user': return e.targetId === null ? null : { label: named ?? `user ${e.targetId}`, href: `/users/${e.targetId}` };
    case 'flag': return { label: `flag #${e.targetId ?? '?'}${named ? ` (${named})` : ''}`, href: null };
    case 'contacts': return { label: named ? `contacts of ${named}` : 'contacts', href: null };
    default: return { label: [e.targetType, e.targetId ?? named].filter(Boolean).join(' '), href: null };
  }
}

export function displayEvent(e: ActivityEntry): DisplayedEvent {
  const detail = parsedDetail(e.detail);
  const detailPairs = Object.entries(detail).filter(([key]) => !NAME_KEYS.has(key))
    .map(([key, value]): [string, string] => [key.replaceAll('_', ' '), shown(value)]);
  return {
    ...e,
    actionLabel: isActivityAction(e.action) ? ACTIVITY_ACTIONS[e.action] : e.action,
    target: targetOf(e, detail),
    detailPairs,
    detailInline: detailPairs.length <= INLINE_PAIRS && detailPairs.every(([k, v]) => k.length + v.length <= INLINE_LENGTH),
  };
}
