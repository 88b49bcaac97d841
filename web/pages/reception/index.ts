/**
 * Réception: statements received, their detail read back from the CFONB120 file itself (what the
 * firm's accounting software will import), the CFONB and deleted-transactions downloads, and a
 * ZIP of a selection (the API streams it, built with yazl).
 */
import type { Router } from 'express';
import { requirePortal } from '../../context';
import { detailPages } from './detail';
import { listPages } from './list';

export function receptionPages(router: Router) {
  const portal = requirePortal();
  listPages(router, portal); // before /reception/:id: /reception/export.*
  detailPages(router, portal);
}
