/**
 * The sandbox's webview (French, server-rendered, no script, no external resource), at
 * /webview/{lang?}/{connect|reconnect|manage}?domain&client_id&redirect_uri&code&state&…:
 *
 *  connect:   bank list → terms → credentials (→ one-time code / validation in the app / redirect
 *             to the bank, depending on the bank) → account choice → company contact details for
 *             professional accounts → redirect_uri?connection_id=…&state=… (+ code for an
 *             anonymous user);
 *  reconnect: what the connection's state needs (new credentials with reset_credentials or
 *             wrongpass, one-time code, app validation, bank redirect, action on the bank site)
 *             → redirect_uri?state=…;
 *  manage:    the user's connections and accounts (enable, disable, delete) → redirect_uri?state=…
 *
 * Cancelling redirects with error=access_denied, declining the terms with error=tos_declined, an
 * expired code with error=session_expired. The step logic (`begin`/`submit`) is shared with
 * `POST /__sandbox/webview/complete`, which plays a whole flow without a browser.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import { createCompletion } from './complete';
import { createFlow } from './flow';
import { createPages } from './pages';
import { FLOWS, paramsFrom, parseWebviewUrl, type Flow, type Form, type Step, type StepResult } from './params';

export function createWebview(ctx: SandboxContext, engine: Engine) {
  const steps = createFlow(ctx, engine);
  const { begin, load, submit } = steps;
  const complete = createCompletion(ctx, engine, steps);
  const { esc, layout, render } = createPages(ctx, engine, steps);

  async function answer(res: Response, result: StepResult) {
    res.set('Cache-Control', 'no-store');
    if (result.kind === 'redirect') return res.redirect(303, result.url);
    if (result.kind === 'fatal')
      return res
        .status(400)
        .type('html')
        .send(layout('Erreur', `<div class="error">${esc(result.message)}</div>`));
    res.type('html').send(await render(result.session, result.error));
  }

  const router: Router = express.Router();
  router.use(express.urlencoded({ extended: false }));
  const open = async (req: Request, res: Response) => {
    const flow = req.params.flow as Flow;
    const lang = (req.params.lang as string | undefined) ?? null;
    if (!FLOWS.includes(flow) || (lang !== null && !/^[a-z]{2}$/.test(lang)))
      return res.status(404).send('Page introuvable');
    const q = new URL(req.originalUrl, 'http://sandbox.invalid').searchParams;
    await answer(res, await begin(paramsFrom(flow, lang, q)));
  };
  router.get('/:flow', open);
  router.get('/:lang/:flow', open);
  router.get('/s/:id/:step', async (req, res) => {
    const s = await load(String(req.params.id));
    if (!s || s.finished)
      return answer(res, { kind: 'fatal', message: 'Cette session a expiré. Veuillez recommencer.' });
    await answer(res, { kind: 'page', session: s });
  });
  router.post('/s/:id/:step', async (req, res) => {
    await answer(res, await submit(String(req.params.id), req.params.step as Step, (req.body ?? {}) as Form));
  });

  return { router, begin, submit, complete, parseWebviewUrl };
}
