/** Instants written for French readers: Paris time, whatever the server's zone. */

const PARIS_DATE_TIME = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** "04/12/2026 à 08:00" (Paris), built from the parts: no dependence on ICU's separators. */
export function frDateTime(d: Date): string {
  const p = Object.fromEntries(PARIS_DATE_TIME.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.day}/${p.month}/${p.year} à ${p.hour}:${p.minute}`;
}
