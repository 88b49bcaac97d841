/** The mail sink on a random port for a test file, and the configuration that points at it. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { loadConfig, type Config } from '../../lib/config';
import { createMailSink, type SinkWebhook } from '../../sandbox/postmark/sink';

export const SINK_TOKEN = 'sink-test-token';

export interface SinkHandle {
  url: string;
  config: Config;
  sink: ReturnType<typeof createMailSink>;
  /** GET /__sink/messages[?to=] */
  messages(to?: string): Promise<
    Array<{
      id: string;
      to: string;
      subject: string;
      text: string;
      html: string;
      metadata: Record<string, string>;
      attachments: Array<{ name: string; contentType: string; size: number }>;
    }>
  >;
  faults(f: {
    failNext: number;
    status?: number;
    mode?: 'error' | 'drop' | 'lost-response';
    errorCode?: number;
    message?: string;
  }): Promise<void>;
  reset(): Promise<void>;
}

/** `webhook` is read in beforeAll (after the hooks registered before, e.g. useApi's). */
export function useSink(webhook?: () => SinkWebhook): SinkHandle {
  const h = {} as SinkHandle;
  let server: Server | undefined;
  beforeAll(async () => {
    h.sink = createMailSink({ serverToken: SINK_TOKEN, webhook: webhook?.() });
    server = await new Promise<Server>((resolve) => {
      const s = h.sink.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    h.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h.config = loadConfig({
      NODE_ENV: 'test',
      PUBLIC_BASE_URL: 'http://releves.test',
      POSTMARK_API_URL: h.url,
      POSTMARK_SERVER_TOKEN: SINK_TOKEN,
      POSTMARK_FROM: 'Relevés <releves@releves.test>',
    });
    h.messages = async (to) =>
      (await (await fetch(`${h.url}/__sink/messages${to ? `?to=${encodeURIComponent(to)}` : ''}`)).json()) as Awaited<
        ReturnType<SinkHandle['messages']>
      >;
    h.faults = async (f) => {
      const r = await fetch(`${h.url}/__sink/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(f),
      });
      if (!r.ok) throw new Error(`faults: ${r.status}`);
    };
    h.reset = async () => {
      await fetch(`${h.url}/__sink/messages`, { method: 'DELETE' });
      await h.faults({ failNext: 0 });
    };
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });
  return h;
}
