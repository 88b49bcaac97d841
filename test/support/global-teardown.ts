export default async function globalTeardown(): Promise<void> {
  await globalThis.__RELEVES_PG__?.stop();
}
