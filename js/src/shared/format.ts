// Formatting shared by every panel: ids, counts, relative times (ISO 8601 UTC in, words out).

export function shortId(id: string | null | undefined, n = 8): string {
  return id ? id.slice(0, n) : "";
}

export function plural(count: number, noun: string): string {
  return `${count.toLocaleString("en")} ${noun}${count === 1 ? "" : "s"}`;
}

/** "3 min ago", "in 23 h", "yesterday", "just now"; the exact time goes in a title. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const seconds = Math.round((t - now) / 1000);
  const abs = Math.abs(seconds);
  const future = seconds > 0;
  let words: string;
  if (abs < 45) return "just now";
  if (abs < 90 * 60) words = `${Math.max(1, Math.round(abs / 60))} min`;
  else if (abs < 36 * 3600) words = `${Math.round(abs / 3600)} h`;
  else {
    const days = Math.round(abs / 86400);
    if (days === 1) return future ? "tomorrow" : "yesterday";
    words = `${days} days`;
  }
  return future ? `in ${words}` : `${words} ago`;
}

/** A local date and time to the second, for titles and labels. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Days within which a time also reads as relative (display/_time.py's RECENT_DAYS). */
export const RECENT_DAYS = 28;

/** The short form for a column: relative within RECENT_DAYS ("3 min ago"), else the local date. */
export function shortTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return Math.abs(t - now) <= RECENT_DAYS * 86400_000 ? relativeTime(iso, now) : localTime(iso).slice(0, 10);
}

/** The long form, as display/_time.py's human(): "2026-11-20 23:54:44 (3 min ago)". */
export function humanTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const clock = localTime(iso);
  return Math.abs(t - now) <= RECENT_DAYS * 86400_000 ? `${clock} (${relativeTime(iso, now)})` : clock;
}
