/** `POST /__sandbox/webview/complete`: plays a whole webview flow without a browser, filling each page. */
import { SANDBOX_OTP, connectorByName } from '../catalog';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import type { AccountRow } from '../rows';
import type { WebviewSteps } from './flow';
import { parseWebviewUrl, selectable, type Form, type Session } from './params';

export interface CompleteOptions {
  url: string;
  bank?: string;
  /** Account types (checking, card, savings…), kinds (checking_usd, livret_a…), names or IBANs. */
  accounts?: string[];
  credentials?: { login?: string; password?: string; website?: 'par' | 'pro' };
  contact?: { company?: string; email?: string; siren?: string; phone?: string };
  otp?: string;
  /** Cancel at the first page (error=access_denied). */
  cancel?: boolean;
  /** Decline the terms (error=tos_declined). */
  declineTerms?: boolean;
}

export function createCompletion(ctx: SandboxContext, engine: Engine, steps: WebviewSteps) {
  const { begin, submit } = steps;

  const matches = (a: AccountRow, sel: string) => {
    const s = sel.trim().toLowerCase();
    return (
      a.type.toLowerCase() === s ||
      a.kind.toLowerCase() === s ||
      a.name.toLowerCase() === s ||
      a.original_name.toLowerCase() === s ||
      (a.iban ?? '').toLowerCase() === s.replace(/\s+/g, '') ||
      String(a.id) === s
    );
  };

  async function autofill(s: Session, o: CompleteOptions): Promise<Form | { error: string }> {
    const website = o.credentials?.website ?? 'pro';
    switch (s.data.step) {
      case 'banks': {
        const c = connectorByName(o.bank ?? 'Connecteur de test');
        if (!c) return { error: `banque inconnue : ${o.bank}` };
        return { connector: String(c.id) };
      }
      case 'terms':
        return o.declineTerms ? { action: 'decline' } : { accept: 'on' };
      case 'credentials':
        return {
          website,
          login: o.credentials?.login ?? s.data.login ?? 'demo',
          password: o.credentials?.password ?? '1234',
        };
      case 'otp':
        return { otp: o.otp ?? SANDBOX_OTP };
      case 'decoupled':
        return { action: 'validated' };
      case 'webauth':
        return { action: 'authorize', website };
      case 'action':
      case 'confirm':
        return { action: 'continue' };
      case 'accounts': {
        const offered = selectable(s.params, await engine.accountsOf(ctx.pool, { connectionId: s.data.connectionId }));
        const picked = o.accounts ? offered.filter((a) => o.accounts!.some((sel) => matches(a, sel))) : offered;
        if (picked.length === 0) return { error: `aucun compte proposé ne correspond à ${JSON.stringify(o.accounts)}` };
        return { accounts: picked.map((a) => String(a.id)) };
      }
      case 'contact':
        return {
          company: o.contact?.company ?? 'ENTREPRISE TEST',
          email: o.contact?.email ?? 'contact@entreprise-test.fr',
          siren: o.contact?.siren ?? '',
          phone: o.contact?.phone ?? '0102030405',
        };
      case 'manage':
        return { action: 'close' };
    }
  }

  async function complete(o: CompleteOptions): Promise<{ status: number; body: Record<string, unknown> }> {
    const p = parseWebviewUrl(o.url);
    if (!p) return { status: 400, body: { error: 'not a webview URL (…/webview/{connect|reconnect|manage}?…)' } };
    let result = await begin(p);
    // A bank asked with connector_ids that differs from `bank`: the URL wins, as in a browser.
    let first = true;
    for (let i = 0; i < 20 && result.kind === 'page'; i++) {
      const s = result.session;
      if (result.error && !first) return { status: 422, body: { error: result.error, step: s.data.step } };
      const form = first && o.cancel ? { action: 'cancel' } : await autofill(s, o);
      if ('error' in form && typeof form.error === 'string')
        return { status: 422, body: { error: form.error, step: s.data.step } };
      first = false;
      const step = s.data.step;
      result = await submit(s.id, step, form as Form);
      if (result.kind === 'page' && result.error) return { status: 422, body: { error: result.error, step } };
    }
    if (result.kind === 'redirect') return { status: 200, body: { redirect: result.url } };
    if (result.kind === 'fatal') return { status: 400, body: { error: result.message } };
    return { status: 500, body: { error: 'the flow did not end' } };
  }

  return complete;
}
