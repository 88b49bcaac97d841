/**
 * Connection states: the pure classification table, and every state the sandbox can simulate as
 * seen by the client after a sync, with the ways a user gets out of each one.
 */
import {
  POWENS_STATES,
  SIMULABLE_STATES,
  STATE_MESSAGES_FR,
  TRANSIENT_STATES,
  USER_ACTION_STATES,
  classifyPowensState,
  needsNewCredentials,
  stateMessageFr,
} from '../../domain/powens-states';
import { REDIRECT_URI, connectUser, startSandbox, waitFor, type RunningSandbox } from './support';

describe('state classification (pure)', () => {
  test.each(USER_ACTION_STATES.map((s) => [s]))('%s needs the user', (state) => {
    expect(classifyPowensState(state)).toBe('user-action');
  });
  test.each(TRANSIENT_STATES.map((s) => [s]))('%s is transient', (state) => {
    expect(classifyPowensState(state)).toBe('transient');
  });
  test('null is ok; unknown future states are transient with the generic text', () => {
    expect(classifyPowensState(null)).toBe('ok');
    expect(classifyPowensState(undefined)).toBe('ok');
    expect(classifyPowensState('')).toBe('ok');
    expect(classifyPowensState('someNewState')).toBe('transient');
    expect(stateMessageFr('someNewState')).toBe(POWENS_STATES.bug.messageFr);
    expect(stateMessageFr(null)).toBe('Connexion opérationnelle.');
  });
  test("the manual's texts (section 4.2.3)", () => {
    expect(stateMessageFr('wrongpass')).toBe(
      "L'authentification au site de la banque a échoué. Veuillez mettre à jour vos identifiants de connexion bancaire.",
    );
    expect(stateMessageFr('decoupled')).toBe(
      'Une action de votre part est nécessaire sur l’application de votre banque.',
    );
    expect(stateMessageFr('websiteUnavailable')).toBe('Le service est temporairement indisponible.');
    expect(stateMessageFr('bug')).toBe('Une erreur inattendue s’est produite.');
    expect(stateMessageFr('SCARequired')).toMatch(/sans redirection/);
    expect(stateMessageFr('webauthRequired')).toMatch(/avec une redirection/);
    for (const s of SIMULABLE_STATES) expect(STATE_MESSAGES_FR[s]).toBeTruthy();
  });
  test('only wrongpass and passwordExpired ask for the credentials again', () => {
    expect(SIMULABLE_STATES.filter((s) => needsNewCredentials(s)).sort()).toEqual(['passwordExpired', 'wrongpass']);
    expect(needsNewCredentials(null)).toBe(false);
  });
});

describe('each state after a sync (sandbox)', () => {
  let run: RunningSandbox;
  let u: Awaited<ReturnType<typeof connectUser>>;
  beforeAll(async () => {
    run = await startSandbox();
    u = await connectUser(run, { accounts: ['Compte chèque'] });
  });
  afterAll(async () => {
    await run?.close();
  });

  test.each(SIMULABLE_STATES.map((s) => [s]))('%s', async (state) => {
    const { client, token, connectionId } = u;
    const set = await run.admin('POST', `/connections/${connectionId}/state`, { state, syncs: 1 });
    expect(set.status).toBe(200);
    const failed = await client.syncConnection(token, connectionId);
    expect(failed.state).toBe(state);
    expect(failed.error).toBe(state);
    expect(classifyPowensState(failed.state)).toBe(POWENS_STATES[state].kind);
    if (state === 'wrongpass') expect(failed.fields?.map((f) => f.name)).toEqual(['login', 'password']);
    if (state === 'additionalInformationNeeded') expect(failed.fields?.map((f) => f.name)).toEqual(['otp']);
    if (state === 'actionNeeded')
      expect(failed.error_message).toBe('You need to confirm the connection on your bank website');
    // The last successful sync is kept. A transient state passes by itself (syncs: 1): the next
    // sync is ok again; a user-action state waits for its user (forced-sync.test.ts), cleared here.
    expect((await client.getConnection(token, connectionId)).state).toBe(state);
    if (POWENS_STATES[state].kind === 'user-action')
      await run.admin('POST', `/connections/${connectionId}/state`, { state: null, apply: true });
    const ok = await client.syncConnection(token, connectionId);
    expect(ok.state ?? null).toBeNull();
    expect(ok.error_message ?? null).toBeNull();
  });

  test('a state without a count stays until the user acts: decoupled → resume', async () => {
    const { client, token, connectionId } = u;
    await run.admin('POST', `/connections/${connectionId}/state`, { state: 'decoupled' });
    expect((await client.syncConnection(token, connectionId)).state).toBe('decoupled');
    expect((await client.syncConnection(token, connectionId)).state).toBe('decoupled');
    const resumed = await client.resumeConnection(token, connectionId);
    expect(resumed.state ?? null).toBeNull();
    const background = await run.admin('POST', `/connections/${connectionId}/state`, { state: 'decoupled' });
    expect(background.status).toBe(200);
    await client.syncConnection(token, connectionId);
    const pending = await client.resumeConnection(token, connectionId, { background: true });
    expect(pending.state).toBe('validating');
    const after = await waitFor(
      () => client.getConnection(token, connectionId),
      (c) => (c.state ?? null) === null,
    );
    expect(after.state ?? null).toBeNull();
  });

  test('SCARequired: background syncs keep failing, a sync the user asked for passes', async () => {
    const { client, token, connectionId } = u;
    await run.admin('POST', `/connections/${connectionId}/state`, { state: 'SCARequired' });
    expect((await client.syncConnection(token, connectionId)).state).toBe('SCARequired');
    expect((await client.syncConnection(token, connectionId, { psuRequested: true })).state ?? null).toBeNull();
  });

  test('additionalInformationNeeded: posting the one-time code resolves it', async () => {
    const { client, token, connectionId } = u;
    await run.admin('POST', `/connections/${connectionId}/state`, { state: 'additionalInformationNeeded' });
    expect((await client.syncConnection(token, connectionId)).state).toBe('additionalInformationNeeded');
    expect((await client.updateConnection(token, connectionId, { otp: '123456' })).state ?? null).toBeNull();
  });

  test('wrongpass: the reconnect webview with reset_credentials resolves it; a wrong password is a 400 wrongpass', async () => {
    const { client, token, connectionId } = u;
    await run.admin('POST', `/connections/${connectionId}/state`, { state: 'wrongpass' });
    const failed = await client.syncConnection(token, connectionId);
    expect(failed.state).toBe('wrongpass');
    await expect(client.updateConnection(token, connectionId, { password: 'wrongpass' })).rejects.toMatchObject({
      status: 400,
      code: 'wrongpass',
      bankMessage: 'Identifiant ou mot de passe incorrect.',
      retryable: false,
    });
    const { code } = await client.getTemporaryCode(token);
    const url = client.reconnectUrl({
      code,
      connectionId,
      redirectUri: REDIRECT_URI,
      state: 'r1',
      connectionState: failed.state,
    });
    expect(url).toContain('reset_credentials=true');
    const done = await run.admin<{ redirect: string }>('POST', '/webview/complete', { url });
    expect(done.status).toBe(200);
    const back = new URL(done.body.redirect);
    expect(Object.fromEntries(back.searchParams)).toEqual({ state: 'r1' });
    expect((await client.getConnection(token, connectionId)).state ?? null).toBeNull();
    expect((await client.syncConnection(token, connectionId)).state ?? null).toBeNull();
  });

  test('transient states stay through a reconnect (the bank is down, not the user)', async () => {
    const { client, token, connectionId } = u;
    await run.admin('POST', `/connections/${connectionId}/state`, { state: 'websiteUnavailable', syncs: 2 });
    expect((await client.syncConnection(token, connectionId)).state).toBe('websiteUnavailable');
    const { code } = await client.getTemporaryCode(token);
    const done = await run.admin<{ redirect: string }>('POST', '/webview/complete', {
      url: client.reconnectUrl({ code, connectionId, redirectUri: REDIRECT_URI }),
    });
    expect(done.status).toBe(200);
    expect((await client.getConnection(token, connectionId)).state).toBe('websiteUnavailable');
    expect((await client.syncConnection(token, connectionId)).state ?? null).toBeNull();
  });

  test('apply sets the state at once, without a sync; null clears the simulated condition', async () => {
    const { client, token, connectionId } = u;
    const r = await run.admin('POST', `/connections/${connectionId}/state`, { state: 'actionNeeded', apply: true });
    expect(r.body).toMatchObject({ state: 'actionNeeded', forced_state: 'actionNeeded' });
    expect((await client.getConnection(token, connectionId)).state).toBe('actionNeeded');
    // Without apply, only the bank's condition clears: the connection still waits for its user.
    await run.admin('POST', `/connections/${connectionId}/state`, { state: null });
    expect((await client.syncConnection(token, connectionId)).state).toBe('actionNeeded');
    await run.admin('POST', `/connections/${connectionId}/state`, { state: null, apply: true });
    expect((await client.syncConnection(token, connectionId)).state ?? null).toBeNull();
    expect((await run.admin('POST', `/connections/${connectionId}/state`, { state: 'nope' })).status).toBe(400);
  });
});
