/**
 * Who the client is. Express derives `req.ip` and `req.protocol` from the peer, or from
 * X-Forwarded-For / X-Forwarded-Proto when the peer is a trusted proxy (TRUST_PROXY, `trust proxy`);
 * rate limits, logs and audit rows use `req.ip`, the session cookie is Secure on `req.secure`.
 *
 * The portal (web/) calls the API inside this same process over a local socket (web/api-client.ts).
 * That hop must keep the browser's address and protocol without trusting forwarded headers from
 * local peers (another program on the host could forge them): the portal sends them in
 * X-Releves-Client-Ip / -Proto with a random secret drawn at start that never leaves the process,
 * and only a request carrying that secret, from this host to itself, has them applied.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';

const SECRET = Buffer.from(randomBytes(32).toString('base64url'));
const HOP = 'x-releves-portal-hop';
const CLIENT_IP = 'x-releves-client-ip';
const CLIENT_PROTO = 'x-releves-client-proto';

/** The headers the portal's API calls carry: the browser's address and protocol as Express derived them. */
export function portalHopHeaders(req: Request): Record<string, string> {
  return {
    [HOP]: SECRET.toString(),
    ...(req.ip ? { [CLIENT_IP]: req.ip } : {}),
    [CLIENT_PROTO]: req.protocol,
  };
}

function fromPortal(req: Request): boolean {
  const given = req.headers[HOP];
  if (typeof given !== 'string') return false;
  const bytes = Buffer.from(given);
  return (
    bytes.length === SECRET.length &&
    timingSafeEqual(bytes, SECRET) &&
    req.socket.remoteAddress !== undefined &&
    req.socket.remoteAddress === req.socket.localAddress
  );
}

/** First middleware of the app: applies the portal hop's client address and protocol, drops the headers otherwise. */
export function portalHop(): RequestHandler {
  return (req, _res, next) => {
    if (
      req.headers[HOP] === undefined &&
      req.headers[CLIENT_IP] === undefined &&
      req.headers[CLIENT_PROTO] === undefined
    )
      return next();
    const ip = req.headers[CLIENT_IP];
    const proto = req.headers[CLIENT_PROTO];
    const trusted = fromPortal(req);
    delete req.headers[HOP];
    delete req.headers[CLIENT_IP];
    delete req.headers[CLIENT_PROTO];
    if (trusted) {
      if (typeof ip === 'string' && isIP(ip)) Object.defineProperty(req, 'ip', { value: ip, configurable: true });
      if (proto === 'https' || proto === 'http')
        Object.defineProperty(req, 'protocol', { value: proto, configurable: true });
    }
    next();
  };
}

/**
 * express-rate-limit's checks, less the two that report forwarded headers Express ignores: an
 * untrusted peer sending X-Forwarded-For or Forwarded is what TRUST_PROXY is for, not a
 * misconfiguration to log (its limit still counts the peer's own address).
 */
export const FORWARDED_HEADERS_IGNORED = { xForwardedForHeader: false, forwardedHeader: false };
