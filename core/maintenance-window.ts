// Maintenance windows: the syntax of DUCKMIG_MAINTENANCE_WINDOW and the two questions
// asked of it, "is a window open at this instant?" and "when does the next one open?".
// Pure (no clock, no environment): callers pass the instant. All times are UTC.
//
//   windows  := window (";" window)*
//   window   := days " " start "-" end [" UTC"]
//   days     := "daily" | "*" | day ("," day)*      day := Mon | Mon-Fri | …
//   start/end := HH:MM or HH:MM:SS (end may be 24:00; an end at or before the start ends the next day)
// e.g. `Sat 02:00-04:00 UTC`, `Mon-Fri 22:00-02:00; Sun 00:00-24:00`.

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_S = 86_400;

export interface MaintenanceWindow {
  /** weekdays it starts on, 0 = Sunday */
  days: ReadonlySet<number>;
  /** seconds after midnight UTC */
  startS: number;
  durationS: number;
  /** as written, for messages */
  text: string;
}

export class MaintenanceWindowError extends Error {}

function dayIndex(name: string): number {
  const i = DAY_NAMES.indexOf(name.toLowerCase().slice(0, 3) as (typeof DAY_NAMES)[number]);
  if (i < 0 || name.length < 3) throw new MaintenanceWindowError(`unknown day "${name}"`);
  return i;
}

function parseDays(text: string): Set<number> {
  if (text === '*' || text.toLowerCase() === 'daily') return new Set([0, 1, 2, 3, 4, 5, 6]);
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to, extra] = part.split('-');
    if (extra !== undefined || !from) throw new MaintenanceWindowError(`bad day range "${part}"`);
    const a = dayIndex(from);
    const b = to === undefined ? a : dayIndex(to);
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return days;
}

function parseTime(text: string, allow24: boolean): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) throw new MaintenanceWindowError(`bad time "${text}" (HH:MM or HH:MM:SS)`);
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  const seconds = h * 3600 + min * 60 + s;
  if (min > 59 || s > 59 || seconds > DAY_S || (seconds === DAY_S && !allow24)) throw new MaintenanceWindowError(`bad time "${text}"`);
  return seconds;
}

/** The windows of a DUCKMIG_MAINTENANCE_WINDOW value; throws MaintenanceWindowError naming the bad part. */
export function parseMaintenanceWindows(value: string): MaintenanceWindow[] {
  const windows = value
    .split(';')
    .map((w) => w.trim())
    .filter(Boolean)
    .map((text) => {
      const m = /^(\S+)\s+(\d{1,2}:\d{2}(?::\d{2})?)-(\d{1,2}:\d{2}(?::\d{2})?)(?:\s+UTC)?$/i.exec(text);
      if (!m) throw new MaintenanceWindowError(`"${text}" is not "<days> HH:MM-HH:MM [UTC]"`);
      const startS = parseTime(m[2]!, false);
      const endS = parseTime(m[3]!, true);
      const durationS = endS > startS ? endS - startS : endS + DAY_S - startS;
      return { days: parseDays(m[1]!), startS, durationS, text };
    });
  if (windows.length === 0) throw new MaintenanceWindowError('no window given');
  return windows;
}

/** Every opening from the day before `at` to a week after it, as [start, end) in ms. */
function openings(windows: readonly MaintenanceWindow[], at: number): [number, number][] {
  const midnight = Math.floor(at / (DAY_S * 1000)) * DAY_S * 1000;
  const spans: [number, number][] = [];
  for (let d = -1; d <= 8; d++) {
    const dayStart = midnight + d * DAY_S * 1000;
    const weekday = new Date(dayStart).getUTCDay();
    for (const w of windows) {
      if (!w.days.has(weekday)) continue;
      const start = dayStart + w.startS * 1000;
      spans.push([start, start + w.durationS * 1000]);
    }
  }
  return spans;
}

/** True when some window is open at `at` (ms since the epoch). */
export function windowOpenAt(windows: readonly MaintenanceWindow[], at: number): boolean {
  return openings(windows, at).some(([start, end]) => start <= at && at < end);
}

/** `at` itself when a window is open then, else when the next window opens (ms since the epoch). */
export function nextWindowOpening(windows: readonly MaintenanceWindow[], at: number): number {
  if (windowOpenAt(windows, at)) return at;
  const starts = openings(windows, at)
    .map(([start]) => start)
    .filter((start) => start > at);
  // every window has at least one day, so one opens within a week
  return Math.min(...starts);
}
