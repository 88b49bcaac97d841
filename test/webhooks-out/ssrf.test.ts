/**
 * Server-side request forgery: in production only https, and every address a host resolves to
 * must be public unicast. Resolvers are injected: no test request leaves the loopback.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkedLookup,
  isPublicAddress,
  localPolicy,
  postWebhook,
  strictPolicy,
  urlProblem,
  type DeliveryPolicy,
} from '../../webhooks-out';

test('only public unicast addresses are deliverable', () => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254', // cloud metadata
    '100.64.0.1', // carrier-grade NAT
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1', // IPv4-mapped loopback
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    '2002:a00:1::', // 6to4 of 10.0.0.1
    'not-an-ip',
  ])
    expect([a, isPublicAddress(a)]).toEqual([a, false]);
  for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34'])
    expect([a, isPublicAddress(a)]).toEqual([a, true]);
});

test('URLs: https only and no internal host in production; http and loopback allowed locally', () => {
  const strict = strictPolicy();
  expect(urlProblem('http://hooks.example.com/x', strict)).toBe('seules les adresses https:// sont acceptées');
  expect(urlProblem('https://user:pw@hooks.example.com/x', strict)).toBe(
    'l’adresse ne doit pas contenir d’identifiants',
  );
  expect(urlProblem('https://localhost:8443/x', strict)).toMatch(/^adresse interne refusée/);
  expect(urlProblem('https://intranet/x', strict)).toMatch(/^adresse interne refusée/);
  expect(urlProblem('https://10.0.0.5/x', strict)).toBe('adresse interne refusée (10.0.0.5)');
  expect(urlProblem('https://[::1]/x', strict)).toBe('adresse interne refusée (::1)');
  expect(urlProblem('https://[::ffff:7f00:1]/x', strict)).toBe('adresse interne refusée (::ffff:7f00:1)');
  expect(urlProblem('https://hooks.example.com/x', strict)).toBeNull();
  expect(urlProblem('pas une url', strict)).toMatch(/^adresse invalide/);
  expect(urlProblem('http://127.0.0.1:3000/x', localPolicy())).toBeNull();
  expect(urlProblem('file:///etc/passwd', localPolicy())).toBe('adresse http:// ou https:// attendue');
});

const lookupWith = (policy: DeliveryPolicy, hostname: string, all = true) =>
  new Promise<unknown>((resolve, reject) =>
    checkedLookup(policy)(hostname, { all }, (err: Error | null, address: unknown) =>
      err ? reject(err) : resolve(address),
    ),
  );

test('the lookup checks every address a name resolves to (one private address among public ones is refused)', async () => {
  const resolving =
    (addresses: string[]): DeliveryPolicy['resolve'] =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  const strict = (addresses: string[]) => ({ ...strictPolicy(), resolve: resolving(addresses) });
  await expect(lookupWith(strict(['93.184.216.34', '10.0.0.7']), 'hooks.example.com')).rejects.toThrow(
    'adresse interne refusée : hooks.example.com désigne 10.0.0.7',
  );
  await expect(lookupWith(strict(['169.254.169.254']), 'metadata.example.com', false)).rejects.toThrow(
    'désigne 169.254.169.254',
  );
  await expect(lookupWith(strict(['93.184.216.34', '2606:2800:220:1::1']), 'hooks.example.com')).resolves.toHaveLength(
    2,
  );
  await expect(lookupWith({ ...localPolicy(), resolve: resolving(['127.0.0.1']) }, 'localhost')).resolves.toEqual([
    { address: '127.0.0.1', family: 4 },
  ]);
});

test('a name that resolves to the loopback is never connected to in production (DNS rebinding of a public-looking name)', async () => {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const policy = {
      ...strictPolicy(2000),
      requireHttps: false, // to show the address check alone stops it
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    };
    const r = await postWebhook(`http://hooks.example.com:${port}/x`, {}, '{}', policy);
    expect(r).toMatchObject({
      statusCode: null,
      error: 'adresse interne refusée : hooks.example.com désigne 127.0.0.1',
    });
    const local = await postWebhook(`http://127.0.0.1:${port}/x`, {}, '{}', localPolicy(2000));
    expect(local).toMatchObject({ statusCode: 200, error: null });
    expect(hits).toBe(1);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
