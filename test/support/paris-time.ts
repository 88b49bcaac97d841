/**
 * Paris wall-clock time for tests, from the platform's time-zone database (ICU through Intl): an
 * oracle independent of domain/schedule's own DST rule.
 */
const wallClock = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** `YYYY-MM-DD HH:MM` in Paris at a UTC instant. */
export function parisWallClock(ms: number): string {
  return wallClock.format(ms);
}

/** The UTC instant (ms) of a Paris wall-clock time; the first one when it happens twice. */
export function parisInstant(date: string, time: string): number {
  const naive = Date.parse(`${date}T${time}:00Z`);
  for (const offsetHours of [2, 1]) {
    const ms = naive - offsetHours * 3_600_000;
    if (parisWallClock(ms) === `${date} ${time}`) return ms;
  }
  throw new Error(`${date} ${time} does not exist in Paris (spring-forward hour)`);
}
